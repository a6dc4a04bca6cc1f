import { appendAuditEvents } from "../audit/append-event";
import { lookupOrgsWithDueApprovals } from "../db/lookup";
import { withTenantSql, type Sql } from "../db/sql";
import { log } from "../log";

/**
 * Expires pending approvals past their deadline in one organization, inside
 * the caller's tenant transaction: the approval and its action become
 * `expired`, each with an audit event, and waiting agents are woken. Rows
 * locked by a concurrent decision are skipped (that decision wins or the next
 * sweep takes them).
 */
export async function expireDueApprovals(sql: Sql, orgId: string, onlyActionId?: string): Promise<string[]> {
  const expired = await sql.query<{ id: string; action_id: string; expires_at: Date }>(
    `UPDATE approvals SET status = 'expired', decided_at = now()
     WHERE id IN (
       SELECT id FROM approvals
       WHERE status = 'pending' AND expires_at <= now() AND ($1::uuid IS NULL OR action_id = $1::uuid)
       ORDER BY expires_at LIMIT 500
       FOR UPDATE SKIP LOCKED)
     RETURNING id, action_id, expires_at`,
    [onlyActionId ?? null],
    "approvals_expire",
  );
  if (expired.length === 0) return [];
  const actionIds = expired.map((e) => e.action_id);
  await sql.query(
    `UPDATE actions SET status = 'expired', updated_at = now() WHERE id = ANY($1::uuid[]) AND status = 'pending'`,
    [actionIds],
    "actions_expire",
  );
  await appendAuditEvents(
    sql,
    expired.map((e) => ({
      orgId,
      actor: { type: "system" as const, id: null },
      action: "action.expired",
      target: { type: "action", id: e.action_id },
      data: { approval_id: e.id, expired_at: e.expires_at.toISOString() },
    })),
  );
  for (const id of actionIds) await sql.query("SELECT pg_notify('warden_action', $1)", [id], "notify_action");
  return actionIds;
}

/** The scheduler's sweep: every organization with overdue approvals, each in its own tenant transaction. */
export async function runApprovalExpirySweep(): Promise<number> {
  let total = 0;
  for (const orgId of await lookupOrgsWithDueApprovals(100)) {
    try {
      total += (await withTenantSql({ orgId }, (sql) => expireDueApprovals(sql, orgId))).length;
    } catch (err) {
      log().error({ err, orgId }, "approval expiry sweep failed for an organization");
    }
  }
  return total;
}
