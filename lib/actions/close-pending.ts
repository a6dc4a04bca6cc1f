import { appendAuditEvents } from "../audit/append-event";
import { rawSql, type AnyTx } from "../db/sql";
import { notifyActionChanged } from "./notify";

/**
 * Which pending approvals to close, and why:
 *   expired    past their deadline (all of the organization's, or one action's);
 *              at most 500 per call, and rows a concurrent decision holds are
 *              skipped (that decision wins, or the next sweep takes them)
 *   cancelled  authorised by these API keys (emergency revoke); `reason` is recorded
 */
export type PendingToClose =
  { as: "expired"; actionId?: string } | { as: "cancelled"; keyIds: readonly string[]; reason: string };

const SELECT = {
  expired: {
    name: "approvals_expire",
    text: `UPDATE approvals SET status = 'expired', decided_at = now()
           WHERE id IN (
             SELECT id FROM approvals
             WHERE status = 'pending' AND expires_at <= now() AND ($1::uuid IS NULL OR action_id = $1::uuid)
             ORDER BY expires_at LIMIT 500
             FOR UPDATE SKIP LOCKED)
           RETURNING id AS approval_id, action_id, expires_at`,
  },
  cancelled: {
    name: "approvals_cancel",
    text: `UPDATE approvals ap SET status = 'cancelled', decided_at = now()
           FROM actions a
           WHERE a.id = ap.action_id AND ap.status = 'pending' AND a.api_key_id = ANY($1::uuid[])
           RETURNING ap.id AS approval_id, ap.action_id, ap.expires_at`,
  },
} as const;

/**
 * Closes pending approvals and the actions behind them, inside the caller's
 * tenant transaction (either kind): both become `expired` or `cancelled`, each
 * action gets an audit event (`action.expired` / `action.cancelled`), and
 * agents waiting on those actions are woken at commit. Returns the action ids.
 */
export async function closePendingApprovals(tx: AnyTx, orgId: string, close: PendingToClose): Promise<string[]> {
  if (close.as === "cancelled" && close.keyIds.length === 0) return [];
  const sql = rawSql(tx);
  const select = SELECT[close.as];
  const closed = await sql.query<{ approval_id: string; action_id: string; expires_at: Date }>(
    select.text,
    [close.as === "expired" ? (close.actionId ?? null) : close.keyIds],
    select.name,
  );
  if (closed.length === 0) return [];
  const actionIds = closed.map((c) => c.action_id);
  await sql.query(
    "UPDATE actions SET status = $2::action_status, updated_at = now() WHERE id = ANY($1::uuid[]) AND status = 'pending'",
    [actionIds, close.as],
    "actions_close_pending",
  );
  await appendAuditEvents(
    tx,
    closed.map((c) => ({
      orgId,
      actor: { type: "system" as const, id: null },
      action: `action.${close.as}`,
      target: { type: "action", id: c.action_id },
      data:
        close.as === "expired"
          ? { approval_id: c.approval_id, expired_at: new Date(c.expires_at).toISOString() }
          : { approval_id: c.approval_id, reason: close.reason },
    })),
  );
  await notifyActionChanged(tx, actionIds);
  return actionIds;
}
