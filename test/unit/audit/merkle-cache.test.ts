import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cacheShape,
  consistencyProofFromSource,
  extendCacheNodes,
  inclusionProofsFromSource,
  nodeKeyId,
  rootFromSource,
  type MerkleSource,
  type NodeKey,
} from "@/lib/audit/merkle-cache";
import {
  MerkleRootAccumulator,
  MerkleTree,
  computeMerkleRoot,
  hashLeaf,
  verifyConsistencyProof,
} from "@/lib/audit/merkle";

/**
 * The cached computation must give exactly the proofs of the full in-memory
 * tree (itself checked against the RFC 6962 reference vectors in
 * merkle.test.ts), whatever the cache holds: complete, partial, stale or with
 * holes. A small chunk level (4-leaf chunks) exercises every case with small trees.
 */

const hex = (b: Buffer) => b.toString("hex");

function leavesOf(n: number, salt = 0): Buffer[] {
  return Array.from({ length: n }, (_, i) => hashLeaf(createHash("sha256").update(`leaf ${salt} ${i}`).digest()));
}

/** Builds the cache the way the store does: chunk by chunk, through extendCacheNodes. */
function buildCache(leaves: Buffer[], chunks: number, chunkLevel: number, batch = 3): Map<string, Buffer> {
  const chunk = 2 ** chunkLevel;
  const cache = new Map<string, Buffer>();
  for (let first = 0; first < chunks; first += batch) {
    const count = Math.min(batch, chunks - first);
    const roots = Array.from({ length: count }, (_, j) =>
      computeMerkleRoot(leaves.slice((first + j) * chunk, (first + j + 1) * chunk)),
    );
    const frontier = new Map<string, Buffer>();
    for (const k of cacheShape(first, chunkLevel).frontier) frontier.set(nodeKeyId(k), cache.get(nodeKeyId(k))!);
    for (const { key, hash } of extendCacheNodes({ chunkLevel, firstChunk: first, chunkRoots: roots, frontier })) {
      expect(cache.has(nodeKeyId(key)), `node ${nodeKeyId(key)} produced twice`).toBe(false);
      cache.set(nodeKeyId(key), hash);
    }
  }
  return cache;
}

type Counting = MerkleSource & { leafReads: number; nodeReads: number };

function memorySource(
  leaves: Buffer[],
  cache: Map<string, Buffer>,
  cachedLeaves: number,
  chunkLevel: number,
): Counting {
  const src: Counting = {
    cachedLeaves,
    chunkLevel,
    leafReads: 0,
    nodeReads: 0,
    async nodes(keys: readonly NodeKey[]) {
      src.nodeReads += keys.length;
      const out = new Map<string, Buffer>();
      for (const k of keys) {
        const h = cache.get(nodeKeyId(k));
        if (h) out.set(nodeKeyId(k), h);
      }
      return out;
    },
    async leaves(start: number, end: number) {
      src.leafReads += end - start;
      return leaves.slice(start, end);
    },
  };
  return src;
}

describe("cache construction", () => {
  it("holds exactly the complete aligned subtrees of at least one chunk, with the tree's own hashes", () => {
    const chunkLevel = 2;
    const leaves = leavesOf(64);
    const cache = buildCache(leaves, 16, chunkLevel);
    const tree = MerkleTree.fromLeafHashes(leaves);
    // 16 + 8 + 4 + 2 + 1 nodes for 16 chunks of 4 leaves.
    expect(cache.size).toBe(31);
    for (const [id, hash] of cache) {
      const [level, idx] = id.split(":").map(Number) as [number, number];
      const width = 2 ** level;
      const sub = MerkleTree.fromLeafHashes(leaves.slice(idx * width, (idx + 1) * width));
      expect(hash.equals(sub.root), id).toBe(true);
    }
    expect(cache.get("6:0")!.equals(tree.root)).toBe(true);
  });

  it("cacheShape gives the counts per level and the odd-count frontier", () => {
    const { counts, frontier } = cacheShape(11, 8);
    expect([...counts]).toEqual([
      [8, 11],
      [9, 5],
      [10, 2],
      [11, 1],
    ]);
    expect(frontier).toEqual([
      { level: 8, idx: 10 },
      { level: 9, idx: 4 },
      { level: 11, idx: 0 },
    ]);
    expect(cacheShape(0, 8)).toEqual({ counts: new Map(), frontier: [] });
  });

  it("refuses to extend without the left siblings it needs", () => {
    expect(() =>
      extendCacheNodes({ chunkLevel: 2, firstChunk: 1, chunkRoots: [leavesOf(1)[0]!], frontier: new Map() }),
    ).toThrow(/frontier/);
  });
});

describe("roots and proofs from the cache equal the full tree's", () => {
  const chunkLevel = 2;
  const chunk = 4;

  it("for every size, cache extent and proof, with holes in the cache", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 150 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer(),
        async (n, cachedFraction, oldFraction, holes, seed) => {
          const leaves = leavesOf(n, seed);
          const tree = MerkleTree.fromLeafHashes(leaves);
          const chunks = Math.floor(Math.floor(n / chunk) * cachedFraction);
          const cache = buildCache(leaves, chunks, chunkLevel);
          // Knock out a few nodes: the result must not change.
          const ids = [...cache.keys()];
          for (let i = 0; i < holes && ids.length > 0; i++) cache.delete(ids[Math.abs(seed + i * 7919) % ids.length]!);
          const src = memorySource(leaves, cache, chunks * chunk, chunkLevel);

          expect((await rootFromSource(src, n)).equals(tree.root)).toBe(true);
          const indices = [0, n - 1, Math.floor(n / 2), Math.abs(seed) % n];
          const proofs = await inclusionProofsFromSource(src, n, indices);
          for (const i of indices) expect(proofs.get(i)!.map(hex)).toEqual(tree.inclusionProof(i).map(hex));

          const m = Math.max(1, Math.floor(n * oldFraction));
          const proof = await consistencyProofFromSource(src, m, n);
          expect(proof.map(hex)).toEqual(tree.consistencyProof(m).map(hex));
          const oldRoot = MerkleTree.fromLeafHashes(leaves, m).root;
          expect((await rootFromSource(src, m)).equals(oldRoot)).toBe(true);
          expect(verifyConsistencyProof({ oldSize: m, newSize: n, oldRoot, newRoot: tree.root, proof })).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a stale cache (covering a prefix of an older size) still gives the new tree's values", async () => {
    const leaves = leavesOf(97);
    const cache = buildCache(leaves, 10, chunkLevel); // covers 40 of 97 leaves
    const src = memorySource(leaves, cache, 40, chunkLevel);
    const tree = MerkleTree.fromLeafHashes(leaves);
    expect((await rootFromSource(src, 97)).equals(tree.root)).toBe(true);
    expect((await consistencyProofFromSource(src, 40, 97)).map(hex)).toEqual(tree.consistencyProof(40).map(hex));
  });

  it("reads O(log n) nodes and a few chunks of leaves, not the whole log", async () => {
    const level = 8;
    const n = 70_000;
    const leaves = leavesOf(n);
    const full = Math.floor(n / 256);
    const cache = buildCache(leaves, full, level, 64);
    const src = memorySource(leaves, cache, full * 256, level);
    const tree = MerkleTree.fromLeafHashes(leaves);
    expect((await rootFromSource(src, n)).equals(tree.root)).toBe(true);
    expect(src.leafReads).toBeLessThanOrEqual(256);
    expect(src.nodeReads).toBeLessThanOrEqual(20);

    src.leafReads = 0;
    const picked = [5, 33_333, 69_999];
    const proofs = await inclusionProofsFromSource(src, n, picked);
    for (const i of picked) expect(proofs.get(i)!.map(hex)).toEqual(tree.inclusionProof(i).map(hex));
    // The three chunks holding the leaves (the last one is also the tail).
    expect(src.leafReads).toBeLessThanOrEqual(3 * 256);
  });

  it("refuses sizes and indices that do not exist", async () => {
    const src = memorySource(leavesOf(10), new Map(), 0, chunkLevel);
    await expect(inclusionProofsFromSource(src, 10, [10])).rejects.toThrow(RangeError);
    await expect(consistencyProofFromSource(src, 11, 10)).rejects.toThrow(RangeError);
    await expect(rootFromSource(src, -1)).rejects.toThrow(RangeError);
    await expect(consistencyProofFromSource(src, 0, 10)).rejects.toThrow(RangeError);
    expect(await consistencyProofFromSource(src, 10, 10)).toEqual([]);
  });
});

describe("MerkleRootAccumulator", () => {
  it("gives MTH of every prefix while leaves are pushed", () => {
    const leaves = leavesOf(70);
    const acc = new MerkleRootAccumulator();
    expect(acc.root().equals(computeMerkleRoot([]))).toBe(true);
    leaves.forEach((leaf, i) => {
      acc.push(leaf);
      expect(acc.size).toBe(i + 1);
      expect(acc.root().equals(computeMerkleRoot(leaves, i + 1)), `size ${i + 1}`).toBe(true);
    });
  });
});
