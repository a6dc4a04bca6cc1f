import { randomUUID } from "node:crypto";
import type { Tx } from "../db/tenant";
import { canonicalEvent, normaliseData, type Actor, type HashedEvent } from "./event";

export type AuditInput = {
  orgId: string;
  actor: Actor;
  action: string;
  target?: { type: string; id: string | null } | null;
  ip?: string | null;
  data?: unknown;
};

export type AppendedEvent = { id: string; seq: bigint; hash: string };

/**
 * Appends one event to the organization's hash chain inside the caller's
 * transaction, so the event commits or rolls back with the change it records.
 *
 * The chain head row is locked FOR UPDATE by the single statement below, which
 * also computes the hash in the database (SHA-256 over prev_hash ‖ canonical
 * JSON built here): the lock is taken as late as possible and held for the rest
 * of the caller's transaction only. Call this last in a transaction.
 */
export async function appendAuditEvent(tx: Tx, input: AuditInput): Promise<AppendedEvent> {
  const event: HashedEvent = {
    v: 1,
    id: randomUUID(),
    org_id: input.orgId,
    occurred_at: new Date().toISOString(),
    actor: { type: input.actor.type, id: input.actor.id },
    action: input.action,
    target: { type: input.target?.type ?? null, id: input.target?.id ?? null },
    ip: input.ip ?? null,
    data: normaliseData(input.data),
  };
  const canonical = canonicalEvent(event);

  const rows = await tx.$queryRaw<{ seq: bigint; hash: string }[]>`
    WITH prev AS (
      SELECT seq, hash FROM audit_heads WHERE org_id = ${event.org_id}::uuid FOR UPDATE
    ), ins AS (
      INSERT INTO audit_events (org_id, seq, id, occurred_at, actor_type, actor_id, action,
                                target_type, target_id, ip, data, prev_hash, hash)
      SELECT ${event.org_id}::uuid, prev.seq + 1, ${event.id}::uuid, ${event.occurred_at}::timestamptz,
             ${event.actor.type}, ${event.actor.id}, ${event.action},
             ${event.target.type}, ${event.target.id}, ${event.ip}, ${JSON.stringify(event.data)}::jsonb,
             prev.hash,
             encode(sha256(decode(prev.hash, 'hex') || convert_to(${canonical}, 'UTF8')), 'hex')
      FROM prev
      RETURNING seq, hash
    )
    UPDATE audit_heads h SET seq = ins.seq, hash = ins.hash, updated_at = now()
    FROM ins WHERE h.org_id = ${event.org_id}::uuid
    RETURNING h.seq, h.hash`;

  const row = rows[0];
  if (!row) throw new Error(`audit chain head missing for organization ${event.org_id}`);
  return { id: event.id, seq: row.seq, hash: row.hash };
}
