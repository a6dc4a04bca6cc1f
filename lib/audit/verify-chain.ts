import { withTenant } from "../db/tenant";
import { GENESIS_HASH, canonicalEvent, chainHash, type HashedEvent, type JsonObject } from "./event";

export type ChainVerification =
  | { ok: true; length: number; headHash: string; verifiedAt: Date }
  | { ok: false; length: number; firstBadSeq: number; reason: string; verifiedAt: Date };

const BATCH = 2000;

/**
 * Recomputes an organization's chain from its first event and names the first
 * sequence number that does not hold: a missing event (gap or truncated tail),
 * a broken link (reordered or inserted row), or content that no longer matches
 * its hash (edited row). Verifies up to the head as read at the start, so
 * concurrent appends do not cause false alarms.
 */
export async function verifyChain(orgId: string): Promise<ChainVerification> {
  const head = await withTenant({ orgId }, (tx) =>
    tx.auditHead.findUnique({ where: { orgId }, select: { seq: true, hash: true } }),
  );
  const verifiedAt = new Date();
  if (!head) return { ok: false, length: 0, firstBadSeq: 1, reason: "chain head missing", verifiedAt };
  const length = Number(head.seq);

  let expected = 1;
  let prevHash = GENESIS_HASH;
  while (expected <= length) {
    const rows = await withTenant({ orgId }, (tx) =>
      tx.auditEvent.findMany({
        where: { orgId, seq: { gte: BigInt(expected), lte: head.seq } },
        orderBy: { seq: "asc" },
        take: BATCH,
      }),
    );
    if (rows.length === 0) {
      return { ok: false, length, firstBadSeq: expected, reason: "event missing (chain truncated)", verifiedAt };
    }
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expected) {
        return { ok: false, length, firstBadSeq: expected, reason: "event missing", verifiedAt };
      }
      if (row.prevHash !== prevHash) {
        return {
          ok: false,
          length,
          firstBadSeq: seq,
          reason: "prev_hash does not match the previous event (reordered or inserted)",
          verifiedAt,
        };
      }
      const event: HashedEvent = {
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
      if (chainHash(prevHash, canonicalEvent(event)) !== row.hash) {
        return { ok: false, length, firstBadSeq: seq, reason: "content does not match its hash (edited)", verifiedAt };
      }
      prevHash = row.hash;
      expected += 1;
    }
  }
  if (prevHash !== head.hash) {
    return { ok: false, length, firstBadSeq: length, reason: "chain head does not match the last event", verifiedAt };
  }
  return { ok: true, length, headHash: head.hash, verifiedAt };
}
