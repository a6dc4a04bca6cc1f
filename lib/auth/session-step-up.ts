import { lookupUserMemberships } from "../db/lookup";
import { withUser } from "../db/tenant";
import { AppError } from "../errors";
import type { SessionUser } from "../rbac/context";
import { auditEachOrg, type RequestMeta } from "./sessions";
import { consumeStepUp, type StepUpTarget } from "./step-up";

/**
 * A session told to step up (stage 'step_up_required', set by an alert rule's
 * require_step_up response, e.g. a sign-in from a new address) can only open
 * and verify a step-up bound to itself (purpose session.step_up, target the
 * session id) or sign out. Presenting the verified grant here returns it to
 * 'complete' and records auth.session_stepped_up in the person's
 * organizations. A TOTP code, a passkey or a recovery code will do: this is
 * the sign-in's own assurance, not an approval.
 */
export function sessionStepUpTarget(user: SessionUser): StepUpTarget {
  return { purpose: "session.step_up", targetId: user.sessionId, payloadHash: null };
}

export async function completeSessionStepUp(
  user: SessionUser,
  stepUpId: string | null,
  meta: RequestMeta,
): Promise<{ stage: "complete"; method: string }> {
  if (!user.stepUpRequired) throw new AppError("conflict", "This session does not need a step-up");
  const memberships = await lookupUserMemberships(user.userId);
  return withUser(user.userId, async (tx) => {
    const evidence = await consumeStepUp(tx, user, stepUpId, sessionStepUpTarget(user));
    // The session's record of how it was established (sessions.auth_methods names TOTP "otp").
    const used = evidence.method === "totp" ? "otp" : evidence.method;
    const done = await tx.$executeRaw`
      UPDATE sessions SET stage = 'complete', last_seen_at = now(),
             auth_methods = CASE WHEN ${used}::text = ANY (auth_methods) THEN auth_methods
                                 ELSE array_append(auth_methods, ${used}::text) END
       WHERE id = ${user.sessionId}::uuid AND stage = 'step_up_required' AND revoked_at IS NULL`;
    if (done !== 1) throw new AppError("unauthenticated", "This session has ended; sign in again");
    await auditEachOrg(
      tx,
      memberships.map((m) => m.org_id),
      {
        userId: user.userId,
        action: "auth.session_stepped_up",
        sessionId: user.sessionId,
        ip: meta.ip,
        data: { method: evidence.method },
      },
    );
    return { stage: "complete" as const, method: evidence.method };
  });
}
