import { beginTotpEnrolment, removeTotp } from "@/lib/account/factors";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Starts TOTP enrolment: the secret as text and as a QR code (SVG, rendered here). */
export const POST = route({ signedIn: true }, async ({ user }) => ({
  status: 201,
  body: await beginTotpEnrolment(user),
}));

/** Removes the authenticator app (step-up; refused when it is the last factor an organization requires). */
export const DELETE = route({ signedIn: true }, async ({ user, req, ip }) => {
  await removeTotp(user, stepUpIdOf(req), { ip, userAgent: req.headers.get("user-agent") });
  return { status: 204 };
});

export const { GET, HEAD, PUT, PATCH, OPTIONS } = otherMethods("POST", "DELETE");
