import { confirmTotpEnrolment } from "@/lib/account/factors";
import { confirmTotpSchema } from "@/lib/account/schemas";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Confirms TOTP with a code from the app; the first factor returns 10 recovery codes, shown once. */
export const POST = route({ signedIn: true, body: confirmTotpSchema }, async ({ user, body, req, ip }) => ({
  body: await confirmTotpEnrolment(user, body, stepUpIdOf(req), { ip, userAgent: req.headers.get("user-agent") }),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
