import { hash } from "node:crypto";

/**
 * RFC 6962 Merkle tree over an organization's audit chain.
 *
 * Leaf i is the 32 raw bytes of the event hash of seq i + 1, hashed as
 * SHA-256(0x00 ‖ leaf); an interior node is SHA-256(0x01 ‖ left ‖ right); the
 * tree of n leaves splits at the largest power of two smaller than n (RFC 6962
 * §2.1). The one-byte prefixes keep a leaf from ever being passed off as a node.
 *
 * Sizes and indices are plain numbers, checked to be safe integers: a tree is
 * bounded by the packed leaf buffer long before 2^53.
 */

export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

function sha256(data: Uint8Array): Buffer {
  // One-shot hash() is about twice as fast as createHash() for 33/65-byte
  // inputs, which is what a million-leaf tree is made of.
  return hash("sha256", data, "buffer");
}

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_TREE_ROOT: Buffer = sha256(new Uint8Array(0));

export function hashLeaf(data: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(1 + data.length);
  buf[0] = LEAF_PREFIX;
  buf.set(data, 1);
  return sha256(buf);
}

export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(1 + left.length + right.length);
  buf[0] = NODE_PREFIX;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256(buf);
}

/**
 * n hashes of 32 bytes stored back to back: a million leaves are one 32 MB
 * buffer rather than a million small objects.
 */
export class PackedHashes {
  readonly bytes: Buffer;
  readonly length: number;

  constructor(bytes: Uint8Array) {
    if (bytes.length % HASH_SIZE !== 0) throw new RangeError("packed hashes must be a multiple of 32 bytes");
    this.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.length / HASH_SIZE;
  }

  static fromList(hashes: readonly Uint8Array[]): PackedHashes {
    const out = Buffer.allocUnsafe(hashes.length * HASH_SIZE);
    hashes.forEach((h, i) => {
      if (h.length !== HASH_SIZE) throw new RangeError(`hash ${i} is ${h.length} bytes, expected 32`);
      out.set(h, i * HASH_SIZE);
    });
    return new PackedHashes(out);
  }

  /** A view, not a copy. */
  at(i: number): Buffer {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`index ${i} out of range`);
    return this.bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }
}

export type LeafHashes = PackedHashes | readonly Uint8Array[];

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The leaf hashes of an organization's chain, from its event hashes (hex) in
 * seq order starting at seq 1.
 */
export function leafHashesFromEventHashes(eventHashesHex: readonly string[]): PackedHashes {
  const out = Buffer.allocUnsafe(eventHashesHex.length * HASH_SIZE);
  const scratch = Buffer.allocUnsafe(1 + HASH_SIZE);
  scratch[0] = LEAF_PREFIX;
  eventHashesHex.forEach((hex, i) => {
    // Buffer.write stops at the first non-hex pair; the regex is only needed
    // to refuse uppercase, which would make the same hash two strings.
    if (hex.length !== 64 || scratch.write(hex, 1, "hex") !== HASH_SIZE || !HEX64.test(hex)) {
      throw new RangeError(`event hash of seq ${i + 1} is not 64 lowercase hex characters`);
    }
    out.set(sha256(scratch), i * HASH_SIZE);
  });
  return new PackedHashes(out);
}

function leafCount(leaves: LeafHashes): number {
  return leaves.length;
}

function leafAt(leaves: LeafHashes, i: number): Uint8Array {
  const h = leaves instanceof PackedHashes ? leaves.at(i) : leaves[i];
  if (!h || h.length !== HASH_SIZE) throw new RangeError(`leaf hash ${i} is not 32 bytes`);
  return h;
}

function checkSize(size: number, available: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`tree size ${size} is not a non-negative integer`);
  if (size > available) throw new RangeError(`tree size ${size} exceeds the ${available} leaves given`);
}

/**
 * MTH of the first `size` leaves, streaming: a stack of at most log2(n)
 * complete subtree roots, so memory beyond the input stays constant.
 */
export function computeMerkleRoot(leaves: LeafHashes, size: number = leafCount(leaves)): Buffer {
  checkSize(size, leafCount(leaves));
  if (size === 0) return Buffer.from(EMPTY_TREE_ROOT);
  const stack: Uint8Array[] = [];
  const scratch = Buffer.allocUnsafe(1 + 2 * HASH_SIZE);
  scratch[0] = NODE_PREFIX;
  for (let i = 0; i < size; i++) {
    let node: Uint8Array = leafAt(leaves, i);
    // The number of trailing one bits of i is how many complete subtrees the
    // new leaf closes.
    for (let j = i; j % 2 === 1; j = (j - 1) / 2) {
      const left = stack.pop()!;
      scratch.set(left, 1);
      scratch.set(node, 1 + HASH_SIZE);
      node = sha256(scratch);
    }
    stack.push(node);
  }
  // The remaining complete subtrees shrink from left to right; folding them
  // from the right is exactly RFC 6962's split at the largest power of two.
  let root: Buffer = Buffer.from(stack.pop()!);
  while (stack.length > 0) root = hashChildren(stack.pop()!, root);
  return root;
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * A tree of fixed size with every level kept (about 64 bytes per leaf), so
 * inclusion and consistency proofs are O(log n) lookups. Level L holds
 * MTH(D[j·2^L : min((j+1)·2^L, n)]) at index j; an unpaired last node is
 * carried up unchanged, which is what makes every RFC 6962 subtree of this
 * tree one stored node.
 */
export class MerkleTree {
  private readonly levels: Buffer[];
  readonly size: number;

  private constructor(levels: Buffer[], size: number) {
    this.levels = levels;
    this.size = size;
  }

  /** Builds the tree over the first `size` leaf hashes (all of them by default). */
  static fromLeafHashes(leaves: LeafHashes, size: number = leafCount(leaves)): MerkleTree {
    checkSize(size, leafCount(leaves));
    let bottom: Buffer;
    if (leaves instanceof PackedHashes) {
      bottom = leaves.bytes.subarray(0, size * HASH_SIZE);
    } else {
      bottom = Buffer.allocUnsafe(size * HASH_SIZE);
      for (let i = 0; i < size; i++) bottom.set(leafAt(leaves, i), i * HASH_SIZE);
    }
    const levels = [bottom];
    const scratch = Buffer.allocUnsafe(1 + 2 * HASH_SIZE);
    scratch[0] = NODE_PREFIX;
    let current = bottom;
    while (current.length > HASH_SIZE) {
      const count = current.length / HASH_SIZE;
      const next = Buffer.allocUnsafe(Math.ceil(count / 2) * HASH_SIZE);
      let j = 0;
      for (let i = 0; i + 1 < count; i += 2, j++) {
        current.copy(scratch, 1, i * HASH_SIZE, (i + 2) * HASH_SIZE);
        sha256(scratch).copy(next, j * HASH_SIZE);
      }
      if (count % 2 === 1) current.copy(next, j * HASH_SIZE, (count - 1) * HASH_SIZE);
      levels.push(next);
      current = next;
    }
    return new MerkleTree(levels, size);
  }

  /** The tree of an organization's chain from its event hashes (hex), seq 1 first. */
  static fromEventHashes(eventHashesHex: readonly string[]): MerkleTree {
    return MerkleTree.fromLeafHashes(leafHashesFromEventHashes(eventHashesHex));
  }

  get root(): Buffer {
    return this.size === 0 ? Buffer.from(EMPTY_TREE_ROOT) : this.node(0, this.size);
  }

  get rootHex(): string {
    return this.root.toString("hex");
  }

  leafHash(index: number): Buffer {
    this.checkIndex(index);
    return this.node(index, index + 1);
  }

  /** RFC 6962 §2.1.1 PATH(m, D[n]), deepest sibling first. */
  inclusionProof(index: number): Buffer[] {
    this.checkIndex(index);
    const path: Buffer[] = [];
    this.path(index, 0, this.size, path);
    return path;
  }

  /**
   * RFC 6962 §2.1.2 PROOF(m, D[n]) from an earlier size m (1 ≤ m ≤ n) to this
   * tree's size; empty when m equals the size. There is no proof from the
   * empty tree: it would prove nothing, and verifiers refuse it
   * (verifyConsistencyProof), as Go's sumdb/tlog and transparency-dev do.
   */
  consistencyProof(oldSize: number): Buffer[] {
    if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > this.size) {
      throw new RangeError(`old size ${oldSize} must be between 1 and ${this.size}`);
    }
    const proof: Buffer[] = [];
    if (oldSize < this.size) this.subproof(oldSize, 0, this.size, true, proof);
    return proof;
  }

  private checkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`leaf index ${index} is outside a tree of size ${this.size}`);
    }
  }

  private path(m: number, start: number, end: number, out: Buffer[]): void {
    const n = end - start;
    if (n === 1) return;
    const k = largestPowerOfTwoBelow(n);
    if (m < k) {
      this.path(m, start, start + k, out);
      out.push(this.node(start + k, end));
    } else {
      this.path(m - k, start + k, end, out);
      out.push(this.node(start, start + k));
    }
  }

  private subproof(m: number, start: number, end: number, whole: boolean, out: Buffer[]): void {
    const n = end - start;
    if (m === n) {
      if (!whole) out.push(this.node(start, end));
      return;
    }
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      this.subproof(m, start, start + k, whole, out);
      out.push(this.node(start + k, end));
    } else {
      this.subproof(m - k, start + k, end, false, out);
      out.push(this.node(start, start + k));
    }
  }

  /** MTH(D[start:end]) for a subtree that RFC 6962's recursion can reach. */
  private node(start: number, end: number): Buffer {
    let level = 0;
    while (2 ** level < end - start) level++;
    const width = 2 ** level;
    if (start % width !== 0 || (end - start !== width && end !== this.size)) {
      throw new Error(`D[${start}:${end}] is not a node of a tree of size ${this.size}`);
    }
    const offset = (start / width) * HASH_SIZE;
    return Buffer.from(this.levels[level]!.subarray(offset, offset + HASH_SIZE));
  }
}

export function buildInclusionProof(leaves: LeafHashes, index: number, size: number): Buffer[] {
  return MerkleTree.fromLeafHashes(leaves, size).inclusionProof(index);
}

export function buildConsistencyProof(leaves: LeafHashes, oldSize: number, newSize: number): Buffer[] {
  return MerkleTree.fromLeafHashes(leaves, newSize).consistencyProof(oldSize);
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

function isHash(h: Uint8Array): boolean {
  return h.length === HASH_SIZE;
}

function isLsbSet(x: number): boolean {
  return x % 2 === 1;
}

function half(x: number): number {
  return Math.floor(x / 2);
}

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or null when the
 * proof cannot belong to a tree of that size (wrong length, index out of
 * range, malformed hashes).
 */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
): Buffer | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize)) return null;
  if (index < 0 || index >= treeSize) return null;
  if (!isHash(leafHash) || !proof.every(isHash)) return null;
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) return null;
    if (isLsbSet(fn) || fn === sn) {
      r = hashChildren(p, r);
      if (!isLsbSet(fn)) {
        while (!isLsbSet(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

/**
 * True when `proof` shows that `leafHash` is leaf `index` of the tree of
 * `treeSize` leaves whose root is `root`. The size must come from the same
 * signed statement as the root: a proof does not by itself pin the size.
 */
export function verifyInclusionProof(args: {
  leafHash: Uint8Array;
  index: number;
  treeSize: number;
  proof: readonly Uint8Array[];
  root: Uint8Array;
}): boolean {
  if (!isHash(args.root)) return false;
  const computed = rootFromInclusionProof(args.leafHash, args.index, args.treeSize, args.proof);
  return computed !== null && computed.equals(args.root);
}

/**
 * True when `proof` shows that the tree of `oldSize` leaves with root
 * `oldRoot` is a prefix of the tree of `newSize` leaves with root `newRoot`
 * (RFC 9162 §2.1.4.2). Equal sizes need an empty proof and equal roots.
 *
 * An old size of 0 is refused, whatever the roots and the proof: RFC 9162
 * requires 0 < first ≤ second, transparency-dev/merkle rejects a proof "from
 * the empty tree" as meaningless and Go's sumdb/tlog CheckTree rejects n < 1.
 * (Accepting it would let any root pass as the "old" one: nothing in an empty
 * proof binds it.)
 */
export function verifyConsistencyProof(args: {
  oldSize: number;
  newSize: number;
  oldRoot: Uint8Array;
  newRoot: Uint8Array;
  proof: readonly Uint8Array[];
}): boolean {
  const { oldSize, newSize, oldRoot, newRoot } = args;
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize)) return false;
  if (oldSize < 1 || newSize < oldSize) return false;
  if (!isHash(oldRoot) || !isHash(newRoot) || !args.proof.every(isHash)) return false;
  if (oldSize === newSize) return args.proof.length === 0 && Buffer.from(oldRoot).equals(newRoot);
  if (args.proof.length === 0) return false;

  const path = [...args.proof];
  // A power-of-two old tree is itself a node of the new tree, so the proof
  // leaves it out and the verifier starts from the old root.
  if (isPowerOfTwo(oldSize)) path.unshift(oldRoot);

  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isLsbSet(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isLsbSet(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (!isLsbSet(fn)) {
        while (!isLsbSet(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}

/**
 * Roots of a growing tree, leaf by leaf, in O(log n) memory: the stack of
 * complete subtree roots computeMerkleRoot keeps, with the root of the
 * current size available at any point. For verifiers that stream a log and
 * compare roots at several sizes (every stored checkpoint) in one pass.
 */
export class MerkleRootAccumulator {
  private readonly stack: Buffer[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(leafHash: Uint8Array): void {
    if (leafHash.length !== HASH_SIZE) throw new RangeError("leaf hash must be 32 bytes");
    let node: Buffer = Buffer.from(leafHash);
    for (let j = this.count; j % 2 === 1; j = (j - 1) / 2) node = hashChildren(this.stack.pop()!, node);
    this.stack.push(node);
    this.count += 1;
  }

  /** MTH of the leaves pushed so far. */
  root(): Buffer {
    if (this.stack.length === 0) return Buffer.from(EMPTY_TREE_ROOT);
    let root = this.stack[this.stack.length - 1]!;
    for (let i = this.stack.length - 2; i >= 0; i--) root = hashChildren(this.stack[i]!, root);
    return root;
  }
}
