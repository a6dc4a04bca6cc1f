import { idParams } from "@/lib/account/schemas";
import { verifyStepUp, verifyStepUpSchema } from "@/lib/auth/step-up";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Verifies the second factor for an open step-up (TOTP code, passkey, or a recovery code except for approvals). */
export const POST = route(
  { signedIn: true, params: idParams, body: verifyStepUpSchema },
  async ({ user, params, body, req, ip }) => ({
    body: await verifyStepUp(user, params.id, body, { ip, userAgent: req.headers.get("user-agent") }),
  }),
);

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
