import { withTenant } from "../db/tenant";
import { GENESIS_HASH, canonicalEvent, chainHash } from "./event";
import { walkEvents } from "./event-pages";
import { MerkleRootAccumulator, hashLeaf } from "./merkle";

export type ChainVerification =
  | { ok: true; length: number; headHash: string; verifiedAt: Date; roots: Map<number, string> }
  | { ok: false; length: number; firstBadSeq: number; reason: string; verifiedAt: Date; roots: Map<number, string> };

const BATCH = 5000;

/**
 * Recomputes an organization's chain from its first event and names the first
 * sequence number that does not hold: a missing event (gap or truncated tail),
 * a broken link (reordered or inserted row), or content that no longer matches
 * its hash (edited row). Verifies up to the head as read at the start, so
 * concurrent appends do not cause false alarms.
 *
 * `rootsAt` asks, in the same pass, for the Merkle root (RFC 6962) of the
 * first n recomputed events for each n given: the roots stored checkpoints
 * must match. They are computed from the events alone (never the Merkle
 * cache), and only for sizes inside the verified prefix.
 */
export async function verifyChain(
  orgId: string,
  opts: { rootsAt?: readonly number[] } = {},
): Promise<ChainVerification> {
  const head = await withTenant({ orgId }, (tx) =>
    tx.auditHead.findUnique({ where: { orgId }, select: { seq: true, hash: true } }),
  );
  const verifiedAt = new Date();
  const roots = new Map<number, string>();
  if (!head) return { ok: false, length: 0, firstBadSeq: 1, reason: "chain head missing", verifiedAt, roots };
  const length = Number(head.seq);
  const wanted = new Set((opts.rootsAt ?? []).filter((n) => Number.isSafeInteger(n) && n >= 0 && n <= length));
  const acc = new MerkleRootAccumulator();
  if (wanted.has(0)) roots.set(0, acc.root().toString("hex"));
  const fail = (firstBadSeq: number, reason: string): ChainVerification => ({
    ok: false,
    length,
    firstBadSeq,
    reason,
    verifiedAt,
    roots,
  });

  let expected = 1;
  let prevHash = GENESIS_HASH;
  for await (const page of walkEvents(orgId, { throughSeq: length, limit: BATCH })) {
    for (const e of page) {
      if (e.seq !== expected) return fail(expected, "event missing");
      if (e.prev_hash !== prevHash)
        return fail(e.seq, "prev_hash does not match the previous event (reordered or inserted)");
      if (chainHash(prevHash, canonicalEvent(e.event)) !== e.hash)
        return fail(e.seq, "content does not match its hash (edited)");
      acc.push(hashLeaf(Buffer.from(e.hash, "hex")));
      if (wanted.has(e.seq)) roots.set(e.seq, acc.root().toString("hex"));
      prevHash = e.hash;
      expected += 1;
    }
  }
  if (expected <= length) return fail(expected, "event missing (chain truncated)");
  if (prevHash !== head.hash) return fail(length, "chain head does not match the last event");
  return { ok: true, length, headHash: head.hash, verifiedAt, roots };
}
