import { EMPTY_TREE_ROOT, HASH_SIZE, computeMerkleRoot, hashChildren } from "./merkle";

/**
 * Merkle roots and proofs over a large log without rereading every event.
 *
 * The cache (table audit_merkle_nodes) holds the hashes of complete, aligned
 * subtrees of at least 2^CACHE_LEVEL leaves: level k index i is
 * MTH(D[i·2^k : (i+1)·2^k]). Every node RFC 6962's recursion asks for is
 * either such a subtree, or lies inside one 2^CACHE_LEVEL-leaf chunk, or is a
 * right edge that splits into those two kinds. So a root or a proof needs
 * O(log n) cached nodes plus the leaves of at most a few chunks (the tail, the
 * chunk holding a proven leaf, the chunk where an old tree ends).
 *
 * This module is pure: it plans which nodes and leaves a computation needs and
 * evaluates the plan over a `MerkleSource` (the database in
 * lib/audit/merkle-store.ts, an in-memory tree in the tests). A node missing
 * from the cache is recomputed from the leaves under it, so a partial cache is
 * slower, never wrong. Nothing here verifies anything: verifiers (verify.mjs,
 * GET /api/v1/audit/verify) recompute from the events and never see the cache.
 */

export const CACHE_LEVEL = 8;

export type NodeKey = { level: number; idx: number };

export function nodeKeyId(k: NodeKey): string {
  return `${k.level}:${k.idx}`;
}

export interface MerkleSource {
  /**
   * Leaves [0, cachedLeaves) are covered by cached nodes: every complete
   * aligned subtree of at least 2^chunkLevel leaves inside that prefix is
   * expected in the cache.
   */
  readonly cachedLeaves: number;
  readonly chunkLevel: number;
  /** Cached node hashes by nodeKeyId; absent keys are simply missing. */
  nodes(keys: readonly NodeKey[]): Promise<Map<string, Buffer>>;
  /** RFC 6962 leaf hashes of leaves [start, end), in order, exactly end - start of them. */
  leaves(start: number, end: number): Promise<Buffer[]>;
}

type Range = { start: number; end: number };

type Plan =
  | { kind: "node"; level: number; idx: number; start: number; end: number }
  | { kind: "leaves"; start: number; end: number }
  | { kind: "pair"; left: Plan; right: Plan };

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function log2Exact(n: number): number | null {
  let level = 0;
  let k = 1;
  while (k < n) {
    k *= 2;
    level++;
  }
  return k === n ? level : null;
}

/** How MTH(D[start:end]) is obtained: a cached node, a chunk's leaves, or a split. */
function plan(start: number, end: number, cachedLeaves: number, chunkLevel: number): Plan {
  const size = end - start;
  const chunk = 2 ** chunkLevel;
  const level = log2Exact(size);
  if (level !== null && level >= chunkLevel && start % size === 0 && end <= cachedLeaves) {
    return { kind: "node", level, idx: start / size, start, end };
  }
  if (size <= chunk) return { kind: "leaves", start, end };
  const k = largestPowerOfTwoBelow(size);
  return {
    kind: "pair",
    left: plan(start, start + k, cachedLeaves, chunkLevel),
    right: plan(start + k, end, cachedLeaves, chunkLevel),
  };
}

function collect(p: Plan, nodes: Map<string, NodeKey>, leaves: Range[]): void {
  if (p.kind === "node") nodes.set(nodeKeyId(p), { level: p.level, idx: p.idx });
  else if (p.kind === "leaves") leaves.push({ start: p.start, end: p.end });
  else {
    collect(p.left, nodes, leaves);
    collect(p.right, nodes, leaves);
  }
}

/** Merges overlapping or touching ranges (sorted by start). */
function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** Leaf hashes fetched once and looked up by index. */
class LeafWindow {
  private readonly spans: { start: number; hashes: Buffer[] }[] = [];

  add(start: number, hashes: Buffer[]): void {
    this.spans.push({ start, hashes });
  }

  slice(start: number, end: number): Buffer[] | null {
    const span = this.spans.find((s) => s.start <= start && end <= s.start + s.hashes.length);
    return span ? span.hashes.slice(start - span.start, end - span.start) : null;
  }
}

/**
 * Evaluates several ranges' hashes with one round of fetches (cached nodes,
 * then merged leaf ranges), falling back to the leaves for missing nodes.
 */
async function resolveRanges(src: MerkleSource, ranges: readonly Range[]): Promise<Buffer[]> {
  const plans = ranges.map((r) => plan(r.start, r.end, src.cachedLeaves, src.chunkLevel));
  const wanted = new Map<string, NodeKey>();
  const leafRanges: Range[] = [];
  for (const p of plans) collect(p, wanted, leafRanges);
  const cached = wanted.size > 0 ? await src.nodes([...wanted.values()]) : new Map<string, Buffer>();

  // Nodes the cache lacks are recomputed from their leaves.
  const missing: Range[] = [];
  const checkMissing = (p: Plan) => {
    if (p.kind === "node") {
      if (!cached.has(nodeKeyId(p))) missing.push({ start: p.start, end: p.end });
    } else if (p.kind === "pair") {
      checkMissing(p.left);
      checkMissing(p.right);
    }
  };
  plans.forEach(checkMissing);

  const window = new LeafWindow();
  for (const r of mergeRanges([...leafRanges, ...missing])) {
    const hashes = await src.leaves(r.start, r.end);
    if (hashes.length !== r.end - r.start || hashes.some((h) => h.length !== HASH_SIZE)) {
      throw new Error(`Merkle source returned ${hashes.length} leaves for [${r.start}, ${r.end})`);
    }
    window.add(r.start, hashes);
  }

  const evaluate = (p: Plan): Buffer => {
    if (p.kind === "pair") return hashChildren(evaluate(p.left), evaluate(p.right));
    if (p.kind === "node") {
      const hit = cached.get(nodeKeyId(p));
      if (hit) return hit;
    }
    const leaves = window.slice(p.start, p.end);
    if (!leaves) throw new Error(`leaves [${p.start}, ${p.end}) were not fetched`);
    return computeMerkleRoot(leaves);
  };
  return plans.map(evaluate);
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`tree size ${size} is not a non-negative integer`);
}

/** MTH(D[0:size]). */
export async function rootFromSource(src: MerkleSource, size: number): Promise<Buffer> {
  checkSize(size);
  if (size === 0) return Buffer.from(EMPTY_TREE_ROOT);
  const [root] = await resolveRanges(src, [{ start: 0, end: size }]);
  return root!;
}

/** The ranges of RFC 6962 PATH(m, D[start:end]), deepest sibling first. */
function pathRanges(m: number, start: number, end: number, out: Range[]): void {
  const n = end - start;
  if (n === 1) return;
  const k = largestPowerOfTwoBelow(n);
  if (m < k) {
    pathRanges(m, start, start + k, out);
    out.push({ start: start + k, end });
  } else {
    pathRanges(m - k, start + k, end, out);
    out.push({ start, end: start + k });
  }
}

/** The ranges of RFC 6962 SUBPROOF(m, D[start:end], whole). */
function subproofRanges(m: number, start: number, end: number, whole: boolean, out: Range[]): void {
  const n = end - start;
  if (m === n) {
    if (!whole) out.push({ start, end });
    return;
  }
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) {
    subproofRanges(m, start, start + k, whole, out);
    out.push({ start: start + k, end });
  } else {
    subproofRanges(m - k, start + k, end, false, out);
    out.push({ start, end: start + k });
  }
}

/**
 * RFC 6962 audit paths of several leaves in the tree of `size` leaves, with
 * one round of fetches for all of them. Keys of the result are leaf indices.
 */
export async function inclusionProofsFromSource(
  src: MerkleSource,
  size: number,
  indices: readonly number[],
): Promise<Map<number, Buffer[]>> {
  checkSize(size);
  const unique = [...new Set(indices)];
  for (const i of unique) {
    if (!Number.isSafeInteger(i) || i < 0 || i >= size)
      throw new RangeError(`leaf index ${i} is outside a tree of size ${size}`);
  }
  const perLeaf = unique.map((i) => {
    const ranges: Range[] = [];
    pathRanges(i, 0, size, ranges);
    return ranges;
  });
  const hashes = await resolveRanges(src, perLeaf.flat());
  const out = new Map<number, Buffer[]>();
  let offset = 0;
  unique.forEach((i, j) => {
    const n = perLeaf[j]!.length;
    out.set(i, hashes.slice(offset, offset + n));
    offset += n;
  });
  return out;
}

/** RFC 6962 PROOF(oldSize, D[newSize]) for 1 ≤ oldSize ≤ newSize: empty for equal sizes. */
export async function consistencyProofFromSource(
  src: MerkleSource,
  oldSize: number,
  newSize: number,
): Promise<Buffer[]> {
  checkSize(oldSize);
  checkSize(newSize);
  if (oldSize > newSize) throw new RangeError(`old size ${oldSize} must not exceed new size ${newSize}`);
  // As MerkleTree.consistencyProof: no proof from the empty tree.
  if (oldSize === 0) throw new RangeError("there is no consistency proof from the empty tree (old size 0)");
  if (oldSize === newSize) return [];
  const ranges: Range[] = [];
  subproofRanges(oldSize, 0, newSize, true, ranges);
  return resolveRanges(src, ranges);
}

/**
 * Extends the cache by whole chunks: given the chunk roots for chunks
 * [firstChunk, firstChunk + roots.length) and the "frontier" (for each level
 * whose node count is odd, its last node, still waiting for a right sibling),
 * returns every newly complete node at or above the chunk level. A binary
 * counter: each new chunk closes as many levels as its index has trailing ones.
 */
export function extendCacheNodes(args: {
  chunkLevel: number;
  firstChunk: number;
  chunkRoots: readonly Buffer[];
  /** Node hashes keyed by nodeKeyId, for the left siblings the new chunks need. */
  frontier: ReadonlyMap<string, Buffer>;
}): { key: NodeKey; hash: Buffer }[] {
  const out: { key: NodeKey; hash: Buffer }[] = [];
  const known = new Map(args.frontier);
  args.chunkRoots.forEach((root, j) => {
    let level = args.chunkLevel;
    let idx = args.firstChunk + j;
    let hash = root;
    out.push({ key: { level, idx }, hash });
    known.set(nodeKeyId({ level, idx }), hash);
    while (idx % 2 === 1) {
      const left = known.get(nodeKeyId({ level, idx: idx - 1 }));
      if (!left) throw new Error(`Merkle cache frontier lacks node ${level}:${idx - 1}`);
      hash = hashChildren(left, hash);
      level += 1;
      idx = (idx - 1) / 2;
      out.push({ key: { level, idx }, hash });
      known.set(nodeKeyId({ level, idx }), hash);
    }
  });
  return out;
}

/**
 * The nodes a cache covering `chunks` complete chunks holds at each level
 * (level L has floor(chunks / 2^(L - chunkLevel)) nodes), and the frontier
 * nodes to load before adding more: the last node of each level with an odd count.
 */
export function cacheShape(chunks: number, chunkLevel: number): { counts: Map<number, number>; frontier: NodeKey[] } {
  const counts = new Map<number, number>();
  const frontier: NodeKey[] = [];
  for (let level = chunkLevel, count = chunks; count > 0; level++, count = Math.floor(count / 2)) {
    counts.set(level, count);
    if (count % 2 === 1) frontier.push({ level, idx: count - 1 });
  }
  return { counts, frontier };
}
