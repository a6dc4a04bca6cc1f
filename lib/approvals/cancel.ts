import { appendAuditEvents } from "../audit/append-event";
import type { AuditTx } from "../audit/append-event";
import type { Tx } from "../db/tenant";

/**
 * Cancels the pending work authorised by the given keys: their pending
 * approvals and the actions behind them, each with an audit event, and wakes
 * agents waiting on those actions. Runs inside the caller's transaction (the
 * emergency revoke), so keys and work go together.
 */
export async function cancelPendingWorkOfKeys(
  tx: Tx,
  orgId: string,
  keyIds: string[],
  reason: string,
): Promise<string[]> {
  if (keyIds.length === 0) return [];
  const rows = await tx.$queryRaw<{ action_id: string; approval_id: string }[]>`
    UPDATE approvals ap SET status = 'cancelled', decided_at = now()
    FROM actions a
    WHERE a.id = ap.action_id AND ap.status = 'pending' AND a.api_key_id = ANY(${keyIds}::uuid[])
    RETURNING ap.action_id, ap.id AS approval_id`;
  if (rows.length === 0) return [];
  const actionIds = rows.map((r) => r.action_id);
  await tx.$executeRaw`UPDATE actions SET status = 'cancelled', updated_at = now() WHERE id = ANY(${actionIds}::uuid[]) AND status = 'pending'`;
  await appendAuditEvents(
    tx as AuditTx,
    rows.map((r) => ({
      orgId,
      actor: { type: "system" as const, id: null },
      action: "action.cancelled",
      target: { type: "action", id: r.action_id },
      data: { approval_id: r.approval_id, reason },
    })),
  );
  for (const id of actionIds) await tx.$executeRaw`SELECT pg_notify('warden_action', ${id})`;
  return actionIds;
}
