import { randomUUID } from "node:crypto";
import { sendWithCommit } from "../db/commit-batch";
import { rawSql, type AnyTx, type Sql } from "../db/sql";
import { currentRequestId } from "../log";
import type { Actor } from "../rbac/context";
import type { AuditEventName } from "./event-names";
import { canonicalEvent, normaliseData, type HashedEvent } from "./event";

export type AuditInput = {
  orgId: string;
  actor: Actor;
  action: AuditEventName;
  target?: { type: string; id: string | null } | null;
  ip?: string | null;
  data?: unknown;
  /**
   * The HTTP request that wrote the event; by default the one being served
   * (lib/log.ts withRequestId), null outside a request. Stored beside the
   * event, not hashed (see docs/ARCHITECTURE.md "Audit chain").
   */
  requestId?: string | null;
};

export type AppendedEvent = { id: string; seq: bigint; hash: string };

function toHashed(input: AuditInput, now: string): HashedEvent {
  return {
    v: 1,
    id: randomUUID(),
    org_id: input.orgId,
    occurred_at: now,
    actor: { type: input.actor.type, id: input.actor.id },
    action: input.action,
    target: { type: input.target?.type ?? null, id: input.target?.id ?? null },
    ip: input.ip ?? null,
    data: normaliseData(input.data),
  };
}

/**
 * Appends events to the organization's hash chain inside the caller's
 * transaction, so they commit or roll back with the change they record.
 *
 * One statement locks the chain head FOR UPDATE, inserts every event with
 * consecutive seq numbers and hashes computed in the database
 * (SHA-256(prev_hash ‖ canonical JSON built here), chained through the batch),
 * and advances the head. That statement is not sent now: it goes out with the
 * transaction's COMMIT, in the same round trip (lib/db/commit-batch.ts), so
 * the head is locked only while the server commits, never while the client
 * thinks — a process that freezes mid-transaction cannot hold it. Anything
 * the transaction does after this call still happens before the lock.
 *
 * If the transaction is not one that can carry statements to its COMMIT (a
 * caller's own client), the append runs at once.
 */
export async function appendAuditEvents(tx: AnyTx, inputs: AuditInput[]): Promise<void> {
  if (inputs.length === 0) return;
  const orgId = inputs[0]!.orgId;
  const stmt = auditAppendStatement(inputs);
  const deferred = {
    ...stmt,
    orgId,
    onCommitted: (rows: unknown[]) => void checkAppended(rows, inputs.length, orgId),
  };
  if (typeof (tx as Partial<Sql>).atCommit === "function") {
    (tx as Sql).atCommit(deferred);
    return;
  }
  if (sendWithCommit(tx, deferred)) return;
  await appendAuditEventsNow(tx, inputs);
}

/**
 * Appends at once and returns the new events' seq and hash. The head then
 * stays locked for the rest of the transaction, across round trips: only for
 * transactions that cannot carry statements to their COMMIT (a caller's own
 * client). No request path uses it: writers that need their event evaluated
 * at once (failed sign-ins, export requests) append with COMMIT and evaluate
 * afterwards (evaluatePendingInline in lib/alerts/evaluate-alerts.ts).
 */
async function appendAuditEventsNow(tx: AnyTx, inputs: AuditInput[]): Promise<AppendedEvent[]> {
  if (inputs.length === 0) return [];
  const stmt = auditAppendStatement(inputs);
  const result = await rawSql(tx).query<{ seq: string; hash: string; id: string }>(stmt.text, stmt.values, stmt.name);
  return checkAppended(result, inputs.length, inputs[0]!.orgId);
}

/**
 * The append as a statement, for callers that send it in a pipelined batch
 * (withTenantSql's finish()); check its rows with checkAppended().
 */
export function auditAppendStatement(inputs: AuditInput[]): { text: string; values: unknown[]; name: string } {
  const orgId = inputs[0]!.orgId;
  if (inputs.some((i) => i.orgId !== orgId)) throw new Error("one batch, one organization");
  const now = new Date().toISOString();
  const events = inputs.map((i) => toHashed(i, now));
  const scoped = currentRequestId();
  // $1 = the organization; then eleven values per event (see buildStatement).
  const values: unknown[] = [orgId];
  for (const [k, e] of events.entries()) {
    const requestId = inputs[k]!.requestId === undefined ? scoped : inputs[k]!.requestId;
    values.push(
      e.id,
      e.occurred_at,
      e.actor.type,
      e.actor.id,
      e.action,
      e.target.type,
      e.target.id,
      e.ip,
      JSON.stringify(e.data),
      canonicalEvent(e),
      requestId,
    );
  }
  return { text: buildStatement(events.length), values, name: `audit_append_${events.length}` };
}

export function checkAppended(rows: unknown[], expected: number, orgId: string): AppendedEvent[] {
  if (rows.length !== expected) throw new Error(`audit chain head missing for organization ${orgId}`);
  return (rows as { seq: string; hash: string; id: string }[]).map((r) => ({
    id: r.id,
    seq: BigInt(r.seq),
    hash: r.hash,
  }));
}

/** Appends one event with the transaction's COMMIT (see appendAuditEvents). */
export async function appendAuditEvent(tx: AnyTx, input: AuditInput): Promise<void> {
  await appendAuditEvents(tx, [input]);
}

const statements = new Map<number, string>();

/**
 * The statement for a batch of n events. A recursive CTE threads the hash
 * through the batch without nesting n SHA-256 expressions.
 */
function buildStatement(n: number): string {
  const cached = statements.get(n);
  if (cached) return cached;
  const input = Array.from({ length: n }, (_, k) => {
    const b = 1 + k * 11;
    return `(${k + 1}, $${b + 1}::uuid, $${b + 2}::timestamptz, $${b + 3}::text, $${b + 4}::text, $${b + 5}::text, $${b + 6}::text, $${b + 7}::text, $${b + 8}::text, $${b + 9}::jsonb, $${b + 10}::text, $${b + 11}::text)`;
  }).join(",\n      ");
  const text = `
    WITH RECURSIVE head AS (
      SELECT seq, hash FROM audit_heads WHERE org_id = $1::uuid FOR UPDATE
    ), input(k, id, occurred_at, actor_type, actor_id, action, target_type, target_id, ip, data, canonical, request_id) AS (
      VALUES ${input}
    ), chain(k, seq, prev_hash, hash) AS (
      SELECT i.k, head.seq + 1, head.hash,
             encode(sha256(decode(head.hash, 'hex') || convert_to(i.canonical, 'UTF8')), 'hex')
      FROM head, input i WHERE i.k = 1
      UNION ALL
      SELECT i.k, c.seq + 1, c.hash,
             encode(sha256(decode(c.hash, 'hex') || convert_to(i.canonical, 'UTF8')), 'hex')
      FROM chain c JOIN input i ON i.k = c.k + 1
    ), ins AS (
      INSERT INTO audit_events (org_id, seq, id, occurred_at, actor_type, actor_id, action,
                                target_type, target_id, ip, data, prev_hash, hash, request_id)
      SELECT $1::uuid, c.seq, i.id, i.occurred_at, i.actor_type, i.actor_id, i.action,
             i.target_type, i.target_id, i.ip, i.data, c.prev_hash, c.hash, i.request_id
      FROM chain c JOIN input i ON i.k = c.k
      RETURNING seq, hash, id
    ), tip AS (
      UPDATE audit_heads h SET seq = t.seq, hash = t.hash, updated_at = now()
      FROM (SELECT seq, hash FROM ins ORDER BY seq DESC LIMIT 1) t
      WHERE h.org_id = $1::uuid
      RETURNING h.seq
    )
    SELECT ins.seq::text AS seq, ins.hash, ins.id::text AS id FROM ins, tip ORDER BY ins.seq`;
  statements.set(n, text);
  return text;
}
