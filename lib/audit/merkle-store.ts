import { withTenantSql } from "../db/sql";
import type { Tx } from "../db/tenant";
import { AppError } from "../errors";
import { log } from "../log";
import { HASH_SIZE, PackedHashes, computeMerkleRoot, leafHashesFromEventHashes } from "./merkle";
import {
  CACHE_LEVEL,
  cacheShape,
  consistencyProofFromSource,
  extendCacheNodes,
  inclusionProofsFromSource,
  nodeKeyId,
  rootFromSource,
  type MerkleSource,
  type NodeKey,
} from "./merkle-cache";

/**
 * The organization's Merkle tree backed by audit_merkle_nodes (see
 * merkle-cache.ts for the idea). fillMerkleCache() adds the nodes of newly
 * complete chunks in short transactions of their own; treeSource() reads the
 * cache and the few leaves a computation needs inside the caller's tenant
 * transaction.
 *
 * The cache is append-only for the app role (INSERT, no UPDATE/DELETE) and is
 * only ever used to produce roots and proofs, which the verifiers check
 * against the events themselves: a wrong node yields a checkpoint or proof
 * that fails verification, never a false "verified".
 */

const CHUNK = 2 ** CACHE_LEVEL;
/** Chunks added per fill transaction: 256 × 256 = 65,536 event hashes (4 MB) read per transaction. */
const FILL_BATCH_CHUNKS = 256;

/**
 * How many complete chunks the cache covers, from its node count per level.
 * The cache is only ever extended as a whole prefix; anything else means
 * someone wrote to it by hand. It is ignored then: slower, still correct.
 */
function cachedChunks(
  orgId: string,
  rows: readonly { level: number; n: string | bigint; max: string | bigint | null }[],
): number {
  const byLevel = new Map(
    rows.map((r) => [Number(r.level), { n: Number(r.n), max: r.max === null ? -1 : Number(r.max) }]),
  );
  const chunks = byLevel.get(CACHE_LEVEL)?.n ?? 0;
  const { counts } = cacheShape(chunks, CACHE_LEVEL);
  for (const [level, { n, max }] of byLevel) {
    if (n !== (counts.get(level) ?? 0) || max !== n - 1) {
      log().warn({ orgId, level, n, max }, "audit Merkle cache is not a complete prefix; computing from the events");
      return 0;
    }
  }
  return chunks;
}

async function cachedChunkCount(tx: Tx, orgId: string): Promise<number> {
  const rows = await tx.$queryRaw<{ level: number; n: bigint; max: bigint | null }[]>`
    SELECT level, count(*)::bigint AS n, max(idx) AS max FROM audit_merkle_nodes
    WHERE org_id = ${orgId}::uuid GROUP BY level`;
  return cachedChunks(orgId, rows);
}

/** The stored event hashes of seqs [fromSeq, toSeq], which must all exist. */
export async function eventHashes(tx: Tx, orgId: string, fromSeq: number, toSeq: number): Promise<string[]> {
  if (toSeq < fromSeq) return [];
  const rows = await tx.$queryRaw<{ seq: bigint; hash: string }[]>`
    SELECT seq, hash FROM audit_events
    WHERE org_id = ${orgId}::uuid AND seq BETWEEN ${fromSeq} AND ${toSeq}
    ORDER BY seq`;
  rows.forEach((r, i) => {
    if (Number(r.seq) !== fromSeq + i) {
      throw new AppError("conflict", `The audit log is missing event ${fromSeq + i}; it does not verify`, {
        cause: `org ${orgId}`,
      });
    }
  });
  if (rows.length !== toSeq - fromSeq + 1) {
    throw new AppError("conflict", `The audit log is missing event ${fromSeq + rows.length}; it does not verify`, {
      cause: `org ${orgId}`,
    });
  }
  return rows.map((r) => r.hash);
}

async function readNodes(tx: Tx, orgId: string, keys: readonly NodeKey[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (keys.length === 0) return out;
  const rows = await tx.$queryRaw<{ level: number; idx: bigint; hash: string }[]>`
    SELECT n.level, n.idx, n.hash FROM audit_merkle_nodes n
    JOIN unnest(${keys.map((k) => k.level)}::int[], ${keys.map((k) => String(k.idx))}::bigint[]) AS want(level, idx)
      ON n.level = want.level AND n.idx = want.idx
    WHERE n.org_id = ${orgId}::uuid`;
  for (const r of rows) out.set(nodeKeyId({ level: Number(r.level), idx: Number(r.idx) }), Buffer.from(r.hash, "hex"));
  return out;
}

/**
 * Adds the nodes of every complete chunk up to `size` leaves that the cache
 * lacks, FILL_BATCH_CHUNKS chunks per transaction (a first fill over a
 * million events is about 60 short transactions rather than one long one).
 * Concurrent fillers of one organization queue on an advisory lock. On the
 * raw pool: a first fill reads every event hash once, and the typed client's
 * decoding would be most of its cost.
 */
export async function fillMerkleCache(orgId: string, size: number): Promise<{ nodesWritten: number }> {
  const target = Math.floor(size / CHUNK);
  let nodesWritten = 0;
  for (;;) {
    const done = await withTenantSql({ orgId }, async (sql) => {
      await sql.query(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        [`warden.merkle:${orgId}`],
        "merkle_fill_lock",
      );
      const have = cachedChunks(
        orgId,
        await sql.query<{ level: number; n: string; max: string | null }>(
          "SELECT level, count(*)::text AS n, max(idx)::text AS max FROM audit_merkle_nodes WHERE org_id = $1 GROUP BY level",
          [orgId],
          "merkle_fill_shape",
        ),
      );
      if (have >= target) return true;
      const upTo = Math.min(target, have + FILL_BATCH_CHUNKS);
      const shape = cacheShape(have, CACHE_LEVEL);
      const frontier = new Map<string, Buffer>();
      if (shape.frontier.length > 0) {
        const rows = await sql.query<{ level: number; idx: string; hash: string }>(
          `SELECT n.level, n.idx::text AS idx, n.hash FROM audit_merkle_nodes n
           JOIN unnest($2::int[], $3::bigint[]) AS want(level, idx) ON n.level = want.level AND n.idx = want.idx
           WHERE n.org_id = $1`,
          [orgId, shape.frontier.map((k) => k.level), shape.frontier.map((k) => String(k.idx))],
          "merkle_fill_frontier",
        );
        for (const r of rows)
          frontier.set(nodeKeyId({ level: r.level, idx: Number(r.idx) }), Buffer.from(r.hash, "hex"));
      }
      if (frontier.size !== shape.frontier.length) throw new Error("audit Merkle cache frontier vanished");

      const fromSeq = have * CHUNK + 1;
      const toSeq = upTo * CHUNK;
      const rows = await sql.query<{ hash: string }>(
        "SELECT hash FROM audit_events WHERE org_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
        [orgId, fromSeq, toSeq],
        "merkle_fill_hashes",
      );
      if (rows.length !== toSeq - fromSeq + 1) {
        // Name the first missing seq, as the chain verifier would.
        const seqs = await sql.query<{ seq: string }>(
          "SELECT seq::text AS seq FROM audit_events WHERE org_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
          [orgId, fromSeq, toSeq],
        );
        const gap = seqs.findIndex((r, i) => Number(r.seq) !== fromSeq + i);
        const missing = fromSeq + (gap < 0 ? seqs.length : gap);
        throw new AppError("conflict", `The audit log is missing event ${missing}; it does not verify`, {
          cause: `org ${orgId}`,
        });
      }
      const leaves = leafHashesFromEventHashes(rows.map((r) => r.hash));
      const chunkRoots = Array.from({ length: upTo - have }, (_, j) =>
        computeMerkleRoot(new PackedHashes(leaves.bytes.subarray(j * CHUNK * HASH_SIZE, (j + 1) * CHUNK * HASH_SIZE))),
      );
      const nodes = extendCacheNodes({ chunkLevel: CACHE_LEVEL, firstChunk: have, chunkRoots, frontier });
      await sql.query(
        `INSERT INTO audit_merkle_nodes (org_id, level, idx, hash)
         SELECT $1, t.level, t.idx, t.hash FROM unnest($2::smallint[], $3::bigint[], $4::text[]) AS t(level, idx, hash)
         ON CONFLICT DO NOTHING`,
        [
          orgId,
          nodes.map((n) => n.key.level),
          nodes.map((n) => String(n.key.idx)),
          nodes.map((n) => n.hash.toString("hex")),
        ],
        "merkle_fill_insert",
      );
      nodesWritten += nodes.length;
      return upTo >= target;
    });
    if (done) return { nodesWritten };
  }
}

/**
 * A MerkleSource over the organization's cache and events, inside the
 * caller's transaction (so roots, proofs and the checkpoint that signs them
 * see one snapshot of the cache).
 */
export async function treeSource(tx: Tx, orgId: string): Promise<MerkleSource> {
  const chunks = await cachedChunkCount(tx, orgId);
  return {
    cachedLeaves: chunks * CHUNK,
    chunkLevel: CACHE_LEVEL,
    nodes: (keys) => readNodes(tx, orgId, keys),
    async leaves(start, end) {
      const hashes = await eventHashes(tx, orgId, start + 1, end);
      const packed = leafHashesFromEventHashes(hashes);
      return Array.from({ length: packed.length }, (_, i) => Buffer.from(packed.at(i)));
    },
  };
}

export async function merkleRoot(tx: Tx, orgId: string, size: number): Promise<string> {
  return (await rootFromSource(await treeSource(tx, orgId), size)).toString("hex");
}

/** Audit paths (hex, deepest sibling first) of the events with these seqs in the tree of `size` events. */
export async function inclusionProofs(
  tx: Tx,
  orgId: string,
  size: number,
  seqs: readonly number[],
): Promise<Map<number, string[]>> {
  const proofs = await inclusionProofsFromSource(
    await treeSource(tx, orgId),
    size,
    seqs.map((s) => s - 1),
  );
  return new Map(seqs.map((s) => [s, proofs.get(s - 1)!.map((h) => h.toString("hex"))]));
}

export async function consistencyProof(tx: Tx, orgId: string, oldSize: number, newSize: number): Promise<string[]> {
  return (await consistencyProofFromSource(await treeSource(tx, orgId), oldSize, newSize)).map((h) =>
    h.toString("hex"),
  );
}
