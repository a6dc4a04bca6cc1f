import { closePendingApprovals } from "../actions/close-pending";
import { appendAuditEvent } from "../audit/append-event";
import { requireOrgStepUp } from "../auth/step-up";
import { withTenant } from "../db/tenant";
import { parseOr422 } from "../validation";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { emergencyRevokeSchema } from "./schemas";

export type EmergencyRevokeResult = {
  revoked_count: number;
  key_ids: string[];
  cancelled_actions: number;
  reason: string;
};

/**
 * Revokes every usable key of the organization in one transaction, with the
 * reason recorded, and cancels the pending work those keys authorised (pending
 * approvals and their actions). Other organizations are untouched: the tenant
 * transaction cannot see their keys.
 */
export async function emergencyRevoke(
  ctx: OrgContext,
  raw: unknown,
  stepUpId: string | null,
): Promise<EmergencyRevokeResult> {
  assertCan(ctx, "org:admin");
  const { reason } = parseOr422(emergencyRevokeSchema, raw);
  return withTenant(tenantOf(ctx), async (tx) => {
    const stepUp = await requireOrgStepUp(tx, ctx, stepUpId, "keys.emergency_revoke");
    const revoked = await tx.$queryRaw<{ id: string }[]>`
      UPDATE api_keys SET revoked_at = now(), revoke_reason = ${`emergency: ${reason}`}
      WHERE revoked_at IS NULL
      RETURNING id`;
    const keyIds = revoked.map((r) => r.id);
    const cancelled = await closePendingApprovals(tx, ctx.org.id, {
      as: "cancelled",
      keyIds,
      reason: `emergency revoke: ${reason}`,
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "api_key.emergency_revoked",
      target: { type: "organization", id: ctx.org.id },
      ip: ctx.ip,
      data: {
        reason,
        revoked_count: keyIds.length,
        key_ids: keyIds,
        cancelled_actions: cancelled.length,
        step_up: stepUp?.method ?? null,
      },
    });
    return { revoked_count: keyIds.length, key_ids: keyIds, cancelled_actions: cancelled.length, reason };
  });
}
