import type { AuditEvent } from "../db/generated/client";
import { canonicalJson, type JsonObject } from "../json";
import type { HashedEvent } from "./event";

/**
 * The hashed event rebuilt from its stored columns, exactly as it was hashed
 * at append time. Every reader that shows, exports, proves or verifies an
 * event goes through here, so they all agree on its bytes.
 */
/**
 * A stored event as either reader gets it: the typed client's model, or the
 * raw pool's row with the same (aliased) column names and seq as text.
 */
export type StoredEvent = Omit<AuditEvent, "seq"> & { seq: bigint | string };

export function hashedEventOf(row: StoredEvent): HashedEvent {
  return {
    v: 1,
    id: row.id,
    org_id: row.orgId,
    occurred_at: row.occurredAt.toISOString(),
    actor: { type: row.actorType as HashedEvent["actor"]["type"], id: row.actorId },
    action: row.action,
    target: { type: row.targetType, id: row.targetId },
    ip: row.ip,
    data: (row.data ?? {}) as JsonObject,
  };
}

/** One line of an export or of a proof pack's events.jsonl, before canonicalisation. */
export type ChainedEvent = { seq: number; prev_hash: string; hash: string; event: HashedEvent };

/**
 * A chained event as one line of JSONL (an export, a pack's events.jsonl):
 * canonical JSON, so a reader can recompute its hash from the line itself.
 */
export function eventLine(e: { seq: number; prev_hash: string; hash: string; event: unknown }): string {
  return `${canonicalJson({ seq: e.seq, prev_hash: e.prev_hash, hash: e.hash, event: e.event })}\n`;
}

export function chainedEventOf(row: StoredEvent): ChainedEvent {
  return { seq: Number(row.seq), prev_hash: row.prevHash, hash: row.hash, event: hashedEventOf(row) };
}
