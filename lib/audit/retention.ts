import { lookupOrgsWithExpiredPayloads } from "../db/lookup";
import { withTenant } from "../db/tenant";
import { log } from "../log";
import { appendAuditEvent } from "./append-event";

/**
 * Payload retention. An organization's `payload_retention_days` bounds how
 * long action parameters and results are kept: past it, the payload columns
 * of an action (redacted parameters and context, the encrypted original, the
 * execution result) are set to null and payload_expired_at is set.
 *
 * What stays: the payload's SHA-256 (payload_hash), the decision, approvals,
 * and every audit event. Audit events never contain parameters (the event
 * contracts forbid it), so no hashed byte changes: the chain, every
 * checkpoint and every proof pack made before expiry still verify, and packs
 * made after carry the action without its payload.
 *
 * Actions still in flight (pending approval, executing) keep their payload
 * until they settle; an allowed or approved action not executed within the
 * retention period loses it (execution then refuses, see execute-action.ts).
 */

const IN_FLIGHT = ["pending", "executing"];
const DAY_MS = 86_400_000;

export type ExpiryResult = { expired: number; more: boolean; retentionDays: number | null };

/**
 * Expires up to `limit` due payloads of one organization in one transaction,
 * with one `retention.payloads_expired` audit event recording the count.
 * `more` says whether another call would find more.
 */
export async function expirePayloads(
  orgId: string,
  now: Date = new Date(),
  opts: { limit?: number } = {},
): Promise<ExpiryResult> {
  const limit = opts.limit ?? 5000;
  return withTenant(
    { orgId },
    async (tx) => {
      const org = await tx.organization.findUnique({ where: { id: orgId }, select: { payloadRetentionDays: true } });
      const days = org?.payloadRetentionDays ?? null;
      if (days === null) return { expired: 0, more: false, retentionDays: null };
      const cutoff = new Date(now.getTime() - days * DAY_MS);
      // A materialised CTE runs once: `WHERE id IN (SELECT … LIMIT n)` may be
      // re-evaluated by the planner and then touch more than n rows.
      const rows = await tx.$queryRaw<{ id: string; created_at: Date }[]>`
        WITH due AS MATERIALIZED (
          SELECT id FROM actions
          WHERE org_id = ${orgId}::uuid AND payload_expired_at IS NULL AND created_at < ${cutoff}
            AND status::text <> ALL (${IN_FLIGHT}::text[])
          ORDER BY created_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        UPDATE actions a
        SET params_redacted = NULL, context_redacted = NULL, params_encrypted = NULL, result = NULL,
            payload_expired_at = ${now}, updated_at = ${now}
        FROM due WHERE a.id = due.id
        RETURNING a.id, a.created_at`;
      if (rows.length === 0) return { expired: 0, more: false, retentionDays: days };
      const times = rows.map((r) => r.created_at.getTime());
      await appendAuditEvent(tx, {
        orgId,
        actor: { type: "system", id: null },
        action: "retention.payloads_expired",
        target: { type: "organization", id: orgId },
        data: {
          count: rows.length,
          retention_days: days,
          cutoff: cutoff.toISOString(),
          oldest_created_at: new Date(Math.min(...times)).toISOString(),
          newest_created_at: new Date(Math.max(...times)).toISOString(),
        },
      });
      return { expired: rows.length, more: rows.length === limit, retentionDays: days };
    },
    { timeoutMs: 60_000 },
  );
}

export type RetentionSweepResult = { organizations: number; expired: number; failed: number };

/**
 * For the scheduler: expires due payloads in every organization that has
 * some, in batches. One organization's failure is logged and does not stop
 * the others.
 */
export async function runRetentionSweep(
  opts: { now?: Date; limit?: number; maxBatchesPerOrg?: number } = {},
): Promise<RetentionSweepResult> {
  const orgIds = await lookupOrgsWithExpiredPayloads(opts.limit ?? 500);
  let expired = 0;
  let failed = 0;
  for (const orgId of orgIds) {
    try {
      for (let batch = 0; batch < (opts.maxBatchesPerOrg ?? 20); batch++) {
        const r = await expirePayloads(orgId, opts.now ?? new Date());
        expired += r.expired;
        if (!r.more) break;
      }
    } catch (e) {
      failed += 1;
      log().error({ err: e, orgId }, "payload retention failed");
    }
  }
  return { organizations: orgIds.length, expired, failed };
}
