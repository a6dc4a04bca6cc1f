import { listSessions, revokeOtherSessions } from "@/lib/account/sessions";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ signedIn: true }, async ({ user }) => ({ body: { sessions: await listSessions(user) } }));

/** Signs out everywhere else. */
export const DELETE = route({ signedIn: true }, async ({ user, req, ip }) => ({
  body: await revokeOtherSessions(user, { ip, userAgent: req.headers.get("user-agent") }),
}));

export const { POST, PUT, PATCH, OPTIONS } = otherMethods("GET", "DELETE");
