import { beginStepUp, type BegunStepUp } from "../auth/step-up";
import { withTenant } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";

/**
 * Opens a step-up for deciding one approval. The grant (and a passkey's
 * challenge) is bound to the approval and to the action's payload hash, so the
 * passkey signs exactly this action, and the grant cannot serve another.
 */
export async function beginApprovalStepUp(ctx: OrgContext, approvalId: string): Promise<BegunStepUp> {
  assertCan(ctx, "approvals:decide");
  if (ctx.principal.kind !== "user") throw new AppError("forbidden", "Approvals are decided by people, not API keys");
  const user = ctx.principal.user;
  const ap = await withTenant(tenantOf(ctx), (tx) =>
    tx.approval.findUnique({ where: { id: approvalId }, select: { id: true, status: true, payloadHash: true } }),
  );
  if (!ap) throw notFound("Approval");
  if (ap.status !== "pending") throw new AppError("conflict", `This approval is already ${ap.status}`);
  return beginStepUp(user, { purpose: "approval.decide", targetId: ap.id, payloadHash: ap.payloadHash });
}
