import {
  completeSecondFactor,
  lowRecoveryCodes,
  secondFactorOptions,
  secondFactorSchema,
} from "@/lib/auth/second-factor";
import { sessionSetCookie } from "@/lib/http/session-cookie";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** What the second step offers (and a passkey challenge when the person has passkeys). */
export const GET = route({ signedIn: true, allowMfaPending: true }, async ({ user }) => ({
  body: await secondFactorOptions(user),
}));

/** Completes sign-in with a TOTP code, a passkey or a recovery code; the session gets a new token. */
export const POST = route(
  { signedIn: true, allowMfaPending: true, body: secondFactorSchema },
  async ({ user, body, ip, req }) => {
    const done = await completeSecondFactor(user, body, { ip, userAgent: req.headers.get("user-agent") });
    return {
      body: {
        stage: "complete",
        method: done.method,
        recovery_codes_left: done.recoveryCodesLeft,
        recovery_codes_low: lowRecoveryCodes(done.recoveryCodesLeft),
      },
      headers: { "set-cookie": await sessionSetCookie(user.userId, done.token) },
    };
  },
);

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
