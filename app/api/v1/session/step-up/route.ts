import { completeSessionStepUp } from "@/lib/auth/session-step-up";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/**
 * Clears a session's "must step up" state (an alert rule's require_step_up):
 * present a verified grant for purpose session.step_up (opened at
 * POST /api/v1/account/step-up) in X-Warden-Step-Up.
 */
export const POST = route({ signedIn: true, allowStepUpRequired: true }, async ({ user, req, ip }) => ({
  body: await completeSessionStepUp(user, stepUpIdOf(req), { ip, userAgent: req.headers.get("user-agent") }),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
