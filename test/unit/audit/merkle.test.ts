import { createHash, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EMPTY_TREE_ROOT,
  MerkleTree,
  PackedHashes,
  buildConsistencyProof,
  buildInclusionProof,
  computeMerkleRoot,
  hashChildren,
  hashLeaf,
  leafHashesFromEventHashes,
  rootFromInclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
} from "@/lib/audit/merkle";
import { eventLeafHash, rootFromInclusionProof as verifierRootFromInclusionProof } from "@/lib/proof-pack/verify.mjs";

/*
 * Reference vectors: the certificate-transparency 8-leaf data set, as
 * published in transparency-dev/merkle, proof/verify_test.go
 * (https://github.com/transparency-dev/merkle/blob/main/proof/verify_test.go,
 * read at commit 02194e9afb6c1d95b5381350007963aa70fff472): `leaves`, `roots`
 * (MTH of the first 1..8 leaves), `inclusionProofs` (leaf numbers there are
 * 1-based) and `consistencyProofs`. The same values appear in
 * google/certificate-transparency's C++ merkle_tree_test.cc. The corruption
 * probes below follow corruptInclusionProof / corruptConsistencyProof there.
 */
const h = (hex: string) => Buffer.from(hex, "hex");

const LEAF_INPUTS = [
  "",
  "00",
  "10",
  "2021",
  "3031",
  "40414243",
  "5051525354555657",
  "606162636465666768696a6b6c6d6e6f",
].map(h);

const ROOTS = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
].map(h);

// { leaf (1-based, as in the source), size, proof }
const INCLUSION = [
  { leaf: 1, size: 1, proof: [] as string[] },
  {
    leaf: 1,
    size: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    leaf: 6,
    size: 8,
    proof: [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  { leaf: 3, size: 3, proof: ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
  {
    leaf: 2,
    size: 5,
    proof: [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
];

const CONSISTENCY = [
  { size1: 1, size2: 1, proof: [] as string[] },
  {
    size1: 1,
    size2: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: [
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
];

const SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456");
const EMPTY_SHA256 = h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

const LEAF_HASHES = LEAF_INPUTS.map((d) => hashLeaf(d));

/** MTH straight from the RFC 6962 §2.1 definition, to check the fast paths against. */
function referenceRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return createHash("sha256").digest();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hashChildren(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

function flipBit(buf: Uint8Array, byte: number, mask: number): Buffer {
  const out = Buffer.from(buf);
  out[byte] = out[byte]! ^ mask;
  return out;
}

describe("RFC 6962 hashing", () => {
  it("hashes leaves and nodes with the 0x00 / 0x01 prefixes", () => {
    expect(hashLeaf(Buffer.alloc(0)).toString("hex")).toBe(
      createHash("sha256")
        .update(Buffer.from([0]))
        .digest("hex"),
    );
    const l = Buffer.alloc(32, 1);
    const r = Buffer.alloc(32, 2);
    expect(hashChildren(l, r)).toEqual(
      createHash("sha256")
        .update(Buffer.from([1]))
        .update(l)
        .update(r)
        .digest(),
    );
    expect(EMPTY_TREE_ROOT).toEqual(EMPTY_SHA256);
  });

  it("reproduces the reference roots for every size 1..8", () => {
    for (let n = 1; n <= 8; n++) {
      expect(computeMerkleRoot(LEAF_HASHES, n).toString("hex"), `streaming root n=${n}`).toBe(
        ROOTS[n - 1]!.toString("hex"),
      );
      expect(MerkleTree.fromLeafHashes(LEAF_HASHES, n).rootHex, `tree root n=${n}`).toBe(ROOTS[n - 1]!.toString("hex"));
    }
    expect(computeMerkleRoot(LEAF_HASHES, 0)).toEqual(EMPTY_SHA256);
    expect(MerkleTree.fromLeafHashes(LEAF_HASHES, 0).root).toEqual(EMPTY_SHA256);
  });

  it("accepts packed or listed leaf hashes alike", () => {
    const packed = PackedHashes.fromList(LEAF_HASHES);
    for (let n = 1; n <= 8; n++) expect(computeMerkleRoot(packed, n)).toEqual(ROOTS[n - 1]);
    expect(() => new PackedHashes(Buffer.alloc(33))).toThrow(RangeError);
    expect(() => computeMerkleRoot(LEAF_HASHES, 9)).toThrow(RangeError);
  });
});

describe("inclusion proofs against the reference vectors", () => {
  for (const v of INCLUSION) {
    const index = v.leaf - 1;
    it(`leaf ${index} in a tree of ${v.size}`, () => {
      const proof = v.proof.map(h);
      const root = ROOTS[v.size - 1]!;
      const leafHash = LEAF_HASHES[index]!;
      expect(buildInclusionProof(LEAF_HASHES, index, v.size).map((b) => b.toString("hex"))).toEqual(v.proof);
      expect(verifyInclusionProof({ leafHash, index, treeSize: v.size, proof, root })).toBe(true);
      expect(rootFromInclusionProof(leafHash, index, v.size, proof)).toEqual(root);

      const probes: { desc: string; index: number; size: number; leaf: Buffer; root: Buffer; proof: Buffer[] }[] = [
        { desc: "index - 1", index: index - 1, size: v.size, leaf: leafHash, root, proof },
        { desc: "index + 1", index: index + 1, size: v.size, leaf: leafHash, root, proof },
        { desc: "index ^ 2", index: index ^ 2, size: v.size, leaf: leafHash, root, proof },
        { desc: "size * 2", index, size: v.size * 2, leaf: leafHash, root, proof },
        { desc: "size / 2", index, size: Math.floor(v.size / 2), leaf: leafHash, root, proof },
        { desc: "wrong leaf", index, size: v.size, leaf: hashLeaf(Buffer.from("WrongLeaf")), root, proof },
        { desc: "empty root", index, size: v.size, leaf: leafHash, root: EMPTY_SHA256, proof },
        { desc: "random root", index, size: v.size, leaf: leafHash, root: SOME_HASH, proof },
        { desc: "trailing garbage", index, size: v.size, leaf: leafHash, root, proof: [...proof, Buffer.alloc(0)] },
        { desc: "trailing root", index, size: v.size, leaf: leafHash, root, proof: [...proof, root] },
        { desc: "preceding garbage", index, size: v.size, leaf: leafHash, root, proof: [Buffer.alloc(0), ...proof] },
        { desc: "preceding root", index, size: v.size, leaf: leafHash, root, proof: [root, ...proof] },
        ...proof.map((_, i) => ({
          desc: `proof[${i}] bit 3 flipped`,
          index,
          size: v.size,
          leaf: leafHash,
          root,
          proof: proof.map((p, j) => (i === j ? flipBit(p, 0, 8) : p)),
        })),
        ...(proof.length > 0
          ? [{ desc: "removed component", index, size: v.size, leaf: leafHash, root, proof: proof.slice(0, -1) }]
          : []),
        ...(proof.length > 1
          ? [
              {
                desc: "inserted component",
                index,
                size: v.size,
                leaf: leafHash,
                root,
                proof: [proof[0]!, SOME_HASH, ...proof.slice(1)],
              },
            ]
          : []),
      ];
      for (const p of probes) {
        expect(
          verifyInclusionProof({ leafHash: p.leaf, index: p.index, treeSize: p.size, proof: p.proof, root: p.root }),
          p.desc,
        ).toBe(false);
      }
    });
  }

  it("refuses indices outside the tree", () => {
    for (const [index, size] of [
      [0, 0],
      [1, 0],
      [2, 1],
      [1, 1],
    ] as const) {
      expect(verifyInclusionProof({ leafHash: SOME_HASH, index, treeSize: size, proof: [], root: EMPTY_SHA256 })).toBe(
        false,
      );
    }
    const tree = MerkleTree.fromLeafHashes(LEAF_HASHES, 7);
    expect(() => tree.inclusionProof(7)).toThrow(RangeError);
    expect(() => tree.inclusionProof(-1)).toThrow(RangeError);
  });

  it("matches the zero-dependency verifier in verify.mjs", () => {
    const tree = MerkleTree.fromLeafHashes(LEAF_HASHES, 8);
    for (let i = 0; i < 8; i++) {
      expect(verifierRootFromInclusionProof(LEAF_HASHES[i]!, i, 8, tree.inclusionProof(i))).toEqual(ROOTS[7]);
    }
  });
});

describe("consistency proofs against the reference vectors", () => {
  for (const v of CONSISTENCY) {
    it(`${v.size1} -> ${v.size2}`, () => {
      const proof = v.proof.map(h);
      const root1 = ROOTS[v.size1 - 1]!;
      const root2 = ROOTS[v.size2 - 1]!;
      expect(buildConsistencyProof(LEAF_HASHES, v.size1, v.size2).map((b) => b.toString("hex"))).toEqual(v.proof);
      expect(
        verifyConsistencyProof({ oldSize: v.size1, newSize: v.size2, oldRoot: root1, newRoot: root2, proof }),
      ).toBe(true);
      if (proof.length === 0) return;

      const probes = [
        { desc: "size1 - 1", s1: v.size1 - 1, s2: v.size2, r1: root1, r2: root2, p: proof },
        { desc: "size1 + 1", s1: v.size1 + 1, s2: v.size2, r1: root1, r2: root2, p: proof },
        { desc: "size1 ^ 2", s1: v.size1 ^ 2, s2: v.size2, r1: root1, r2: root2, p: proof },
        { desc: "size2 * 2", s1: v.size1, s2: v.size2 * 2, r1: root1, r2: root2, p: proof },
        { desc: "size2 / 2", s1: v.size1, s2: Math.floor(v.size2 / 2), r1: root1, r2: root2, p: proof },
        { desc: "wrong root1", s1: v.size1, s2: v.size2, r1: SOME_HASH, r2: root2, p: proof },
        { desc: "wrong root2", s1: v.size1, s2: v.size2, r1: root1, r2: SOME_HASH, p: proof },
        { desc: "swapped roots", s1: v.size1, s2: v.size2, r1: root2, r2: root1, p: proof },
        { desc: "empty proof", s1: v.size1, s2: v.size2, r1: root1, r2: root2, p: [] },
        { desc: "trailing garbage", s1: v.size1, s2: v.size2, r1: root1, r2: root2, p: [...proof, Buffer.alloc(0)] },
        { desc: "trailing root1", s1: v.size1, s2: v.size2, r1: root1, r2: root2, p: [...proof, root1] },
        { desc: "trailing root2", s1: v.size1, s2: v.size2, r1: root1, r2: root2, p: [...proof, root2] },
        { desc: "preceding garbage", s1: v.size1, s2: v.size2, r1: root1, r2: root2, p: [Buffer.alloc(0), ...proof] },
        { desc: "preceding root1", s1: v.size1, s2: v.size2, r1: root1, r2: root2, p: [root1, ...proof] },
        { desc: "preceding root2", s1: v.size1, s2: v.size2, r1: root1, r2: root2, p: [root2, ...proof] },
        { desc: "preceding proof[0]", s1: v.size1, s2: v.size2, r1: root1, r2: root2, p: [proof[0]!, ...proof] },
        { desc: "truncated proof", s1: v.size1, s2: v.size2, r1: root1, r2: root2, p: proof.slice(0, -1) },
        ...proof.map((_, i) => ({
          desc: `proof[${i}] bit 4 flipped`,
          s1: v.size1,
          s2: v.size2,
          r1: root1,
          r2: root2,
          p: proof.map((x, j) => (i === j ? flipBit(x, 0, 16) : x)),
        })),
      ];
      for (const p of probes) {
        expect(
          verifyConsistencyProof({ oldSize: p.s1, newSize: p.s2, oldRoot: p.r1, newRoot: p.r2, proof: p.p }),
          p.desc,
        ).toBe(false);
      }
    });
  }

  it("handles the trivial sizes as the current references do (no proof from size 0)", () => {
    const r1 = ROOTS[0]!;
    const r2 = ROOTS[1]!;
    const root5 = ROOTS[4]!;
    const cases = [
      { s1: 0, s2: 0, r1, r2, proof: [], ok: false },
      { s1: 1, s2: 1, r1, r2, proof: [], ok: false },
      // transparency-dev/merkle: "consistency proof from empty tree is
      // meaningless"; Go's sumdb/tlog CheckTree: n < 1 is invalid input.
      { s1: 0, s2: 0, r1, r2: r1, proof: [], ok: false },
      { s1: 0, s2: 0, r1: EMPTY_SHA256, r2: EMPTY_SHA256, proof: [], ok: false },
      { s1: 0, s2: 1, r1, r2, proof: [], ok: false },
      { s1: 0, s2: 5, r1: SOME_HASH, r2: root5, proof: [], ok: false },
      { s1: 0, s2: 5, r1: EMPTY_SHA256, r2: root5, proof: [], ok: false },
      { s1: -1, s2: 5, r1: EMPTY_SHA256, r2: root5, proof: [], ok: false },
      { s1: 1, s2: 1, r1: r2, r2, proof: [], ok: true },
      { s1: 1, s2: 0, r1, r2, proof: [], ok: false },
      { s1: 2, s2: 1, r1, r2, proof: [], ok: false },
      { s1: 1, s2: 2, r1, r2, proof: [], ok: false },
      { s1: 0, s2: 0, r1: EMPTY_SHA256, r2: EMPTY_SHA256, proof: [EMPTY_SHA256], ok: false },
      { s1: 0, s2: 1, r1: EMPTY_SHA256, r2: EMPTY_SHA256, proof: [EMPTY_SHA256], ok: false },
      { s1: 1, s2: 1, r1: EMPTY_SHA256, r2: EMPTY_SHA256, proof: [EMPTY_SHA256], ok: false },
    ];
    for (const c of cases) {
      expect(
        verifyConsistencyProof({ oldSize: c.s1, newSize: c.s2, oldRoot: c.r1, newRoot: c.r2, proof: c.proof }),
        JSON.stringify([c.s1, c.s2]),
      ).toBe(c.ok);
    }
    const tree = MerkleTree.fromLeafHashes(LEAF_HASHES, 5);
    expect(() => tree.consistencyProof(0)).toThrow(RangeError);
    expect(tree.consistencyProof(5)).toEqual([]);
    expect(() => tree.consistencyProof(6)).toThrow(RangeError);
    expect(() => buildConsistencyProof(LEAF_HASHES, 0, 5)).toThrow(RangeError);
  });
});

describe("Merkle properties", () => {
  // Distinct pseudo-random leaves, cheap to make in bulk.
  const leavesFor = (n: number, seed: number): Buffer[] =>
    Array.from({ length: n }, (_, i) => hashLeaf(createHash("sha256").update(`${seed}:${i}`).digest()));

  it("the streaming root, the stored tree and the RFC definition agree for every size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer(), (n, seed) => {
        const leaves = leavesFor(n, seed);
        const expected = referenceRoot(leaves);
        expect(computeMerkleRoot(leaves)).toEqual(expected);
        expect(MerkleTree.fromLeafHashes(PackedHashes.fromList(leaves)).root).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it("every inclusion proof verifies, and fails when a byte, the index or the (size, root) pair changes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            index: fc.nat({ max: n - 1 }),
            otherIndex: fc.nat({ max: n - 1 }),
            otherSize: fc.integer({ min: 1, max: 200 }),
            seed: fc.integer(),
            byte: fc.nat({ max: 31 }),
            mask: fc.integer({ min: 1, max: 255 }),
            pick: fc.nat(),
          }),
        ),
        ({ n, index, otherIndex, otherSize, seed, byte, mask, pick }) => {
          const leaves = leavesFor(Math.max(n, otherSize), seed);
          const tree = MerkleTree.fromLeafHashes(leaves, n);
          const root = tree.root;
          const proof = tree.inclusionProof(index);
          const leafHash = leaves[index]!;
          expect(verifyInclusionProof({ leafHash, index, treeSize: n, proof, root })).toBe(true);

          // One flipped byte anywhere: in the leaf, in a proof element, in the root.
          const targets = proof.length + 2;
          const t = pick % targets;
          const badLeaf = t === 0 ? flipBit(leafHash, byte, mask) : leafHash;
          const badRoot = t === 1 ? flipBit(root, byte, mask) : root;
          const badProof = proof.map((p, i) => (t === i + 2 ? flipBit(p, byte, mask) : p));
          expect(verifyInclusionProof({ leafHash: badLeaf, index, treeSize: n, proof: badProof, root: badRoot })).toBe(
            false,
          );

          if (otherIndex !== index) {
            expect(verifyInclusionProof({ leafHash, index: otherIndex, treeSize: n, proof, root })).toBe(false);
          }
          // A checkpoint binds a size to its root: the proof must fail against
          // any other size together with that size's root.
          if (otherSize !== n && index < otherSize) {
            const otherRoot = MerkleTree.fromLeafHashes(leaves, otherSize).root;
            expect(verifyInclusionProof({ leafHash, index, treeSize: otherSize, proof, root: otherRoot })).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("consistency proofs for any m <= n verify, and fail for a different old or new root", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            m: fc.integer({ min: 1, max: n }),
            other: fc.integer({ min: 1, max: n }),
            seed: fc.integer(),
          }),
        ),
        ({ n, m, other, seed }) => {
          const leaves = leavesFor(n, seed);
          const tree = MerkleTree.fromLeafHashes(leaves, n);
          const oldRoot = computeMerkleRoot(leaves, m);
          const proof = tree.consistencyProof(m);
          expect(verifyConsistencyProof({ oldSize: m, newSize: n, oldRoot, newRoot: tree.root, proof })).toBe(true);
          if (other !== m) {
            const wrongOld = computeMerkleRoot(leaves, other);
            expect(
              verifyConsistencyProof({ oldSize: m, newSize: n, oldRoot: wrongOld, newRoot: tree.root, proof }),
            ).toBe(false);
          }
          expect(
            verifyConsistencyProof({ oldSize: m, newSize: n, oldRoot: randomBytes(32), newRoot: tree.root, proof }),
          ).toBe(false);
          if (m < n) {
            expect(verifyConsistencyProof({ oldSize: m, newSize: n, oldRoot, newRoot: randomBytes(32), proof })).toBe(
              false,
            );
            // A tree whose leaf m-1 was replaced afterwards is not an extension of the old one.
            const forked = [...leaves];
            forked[m - 1] = hashLeaf(Buffer.from("forked"));
            const forkedTree = MerkleTree.fromLeafHashes(forked, n);
            expect(
              verifyConsistencyProof({
                oldSize: m,
                newSize: n,
                oldRoot,
                newRoot: forkedTree.root,
                proof: forkedTree.consistencyProof(m),
              }),
            ).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("organization leaves", () => {
  it("hashes the 32 raw bytes of each event hash as the leaf", () => {
    const eventHashes = Array.from({ length: 5 }, (_, i) => createHash("sha256").update(String(i)).digest("hex"));
    const leaves = leafHashesFromEventHashes(eventHashes);
    eventHashes.forEach((hex, i) => {
      expect(leaves.at(i)).toEqual(hashLeaf(Buffer.from(hex, "hex")));
      expect(leaves.at(i)).toEqual(eventLeafHash(hex));
    });
    expect(MerkleTree.fromEventHashes(eventHashes).root).toEqual(referenceRoot(eventHashes.map((x) => hashLeaf(h(x)))));
  });

  it("refuses event hashes that are not 64 lowercase hex characters", () => {
    const good = "a".repeat(64);
    expect(() => leafHashesFromEventHashes([good, "A".repeat(64)])).toThrow(/seq 2/);
    expect(() => leafHashesFromEventHashes(["a".repeat(63)])).toThrow(/seq 1/);
    expect(() => leafHashesFromEventHashes(["g".repeat(64)])).toThrow(/seq 1/);
  });
});
