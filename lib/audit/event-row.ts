import type { AuditEvent } from "../db/generated/client";
import type { HashedEvent, JsonObject } from "./event";

/**
 * The hashed event rebuilt from its stored columns, exactly as it was hashed
 * at append time. Every reader that shows, exports, proves or verifies an
 * event goes through here, so they all agree on its bytes.
 */
export function hashedEventOf(row: AuditEvent): HashedEvent {
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

export function chainedEventOf(row: AuditEvent): ChainedEvent {
  return { seq: Number(row.seq), prev_hash: row.prevHash, hash: row.hash, event: hashedEventOf(row) };
}
