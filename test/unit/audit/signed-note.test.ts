import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkConsistencyProof } from "@/lib/audit/consistency-check";
import { computeMerkleRoot, hashLeaf, MerkleTree, verifyConsistencyProof } from "@/lib/audit/merkle";
import {
  checkpointNoteText,
  isValidNoteKeyName,
  noteKeyHash,
  noteVerifierKey,
  signNote,
  type NoteSigner,
} from "@/lib/audit/signed-note";
import {
  parseCheckpointNote,
  parseNoteVerifierKey,
  verifyConsistencyProof as verifierConsistency,
  verifyNote,
} from "@/lib/proof-pack/verify.mjs";

/*
 * Go's own implementation checks the same notes in
 * test/integration/c2sp-interop.test.ts; these are the cases that need no Go.
 */

const signer = (name: string): NoteSigner => {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return { name, publicKey, privateKey };
};
const NAME = "warden.example/audit/11111111-1111-4111-8111-111111111111";
const ROOT = createHash("sha256").update("root").digest("hex");

describe("signed notes", () => {
  it("the C2SP signed-note test vector: key hash and verifier key of a known key", () => {
    // c2sp.org/signed-note's example verifier key (also in Go's note_test.go):
    // PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW
    const vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const parsed = parseNoteVerifierKey(vkey);
    expect(parsed).not.toBeNull();
    expect(noteVerifierKey("PeterNeumann", parsed!.publicKey)).toBe(vkey);
    expect(noteKeyHash("PeterNeumann", parsed!.publicKey).toString("hex")).toBe("c74f20a3");
    // Go's note_test.go: the signed note of that key over "If you think cryptography is the answer…".
    const note =
      "If you think cryptography is the answer to your problem,\n" +
      "then you don't know what your problem is.\n" +
      "\n" +
      "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    // Ed25519 is deterministic: signing with the example's private key gives Go's bytes.
    const seed = Buffer.from("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "base64").subarray(1);
    const privateKey = createPrivateKey({
      key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]),
      format: "der",
      type: "pkcs8",
    });
    const text = note.slice(0, note.indexOf("\n\n") + 1);
    expect(signNote(text, [{ name: "PeterNeumann", publicKey: createPublicKey(privateKey), privateKey }])).toBe(note);
    const ok = verifyNote(note, [vkey]);
    expect(ok).toMatchObject({ ok: true, signers: ["PeterNeumann+c74f20a3"] });
    expect(verifyNote(note.replace("answer", "Answer"), [vkey]).ok).toBe(false);
  });

  it("signs a tlog checkpoint that verify.mjs reads back", () => {
    const s = signer(NAME);
    const note = signNote(checkpointNoteText(NAME, 1234, ROOT), [s]);
    const r = verifyNote(note, [noteVerifierKey(NAME, s.publicKey)]);
    expect(r.ok).toBe(true);
    expect(parseCheckpointNote(r.ok ? r.text : "")).toEqual({
      origin: NAME,
      treeSize: 1234,
      rootHash: ROOT,
      extensions: [],
    });
  });

  it("refuses: no known key, a bad signature by a known key (even beside a good one), malformed lines, > 100 signatures", () => {
    const s1 = signer(NAME);
    const s2 = signer(NAME);
    const v1 = noteVerifierKey(NAME, s1.publicKey);
    const v2 = noteVerifierKey(NAME, s2.publicKey);
    const text = checkpointNoteText(NAME, 5, ROOT);
    const both = signNote(text, [s1, s2]);
    expect(verifyNote(both, [v1]).ok).toBe(true);
    expect(verifyNote(both, [v2]).ok).toBe(true);
    expect(verifyNote(both, [v1, v2])).toMatchObject({
      ok: true,
      signers: [v1.split("+").slice(0, 2).join("+"), v2.split("+").slice(0, 2).join("+")],
    });
    expect(verifyNote(signNote(text, [s2]), [v1])).toMatchObject({ ok: false, reason: "no known key signed the note" });
    // s2's line re-labelled with s1's key hash: a known key whose signature fails rejects the whole note.
    const [line1, line2] = both.split("\n\n")[1]!.trimEnd().split("\n");
    const sig2 = Buffer.from(line2!.split(" ")[2]!, "base64");
    const forged = Buffer.concat([Buffer.from(line1!.split(" ")[2]!, "base64").subarray(0, 4), sig2.subarray(4)]);
    expect(verifyNote(`${text}\n${line1}\n\u2014 ${NAME} ${forged.toString("base64")}\n`, [v1]).ok).toBe(true); // duplicate signer: first wins
    expect(verifyNote(`${text}\n\u2014 ${NAME} ${forged.toString("base64")}\n${line1}\n`, [v1]).ok).toBe(false);
    expect(verifyNote(`${text}\n-- ${NAME} ${sig2.toString("base64")}\n`, [v2]).ok).toBe(false);
    expect(verifyNote(`${text}\n\u2014 ${NAME} AAAA\n`, [v2]).ok).toBe(false);
    expect(verifyNote(`${text}\n${line2}`, [v2]).ok).toBe(false);
    expect(verifyNote(`${text}\n${`${line1}\n`.repeat(101)}`, [v1]).ok).toBe(false);
    expect(verifyNote(`${text.replace("\n", "\t\n")}\n${line1}\n`, [v1]).ok).toBe(false);
  });

  it("verifier keys: a hash that does not match the name and key is refused", () => {
    const s = signer(NAME);
    const v = noteVerifierKey(NAME, s.publicKey);
    const [name, hash, key] = v.split("+");
    expect(parseNoteVerifierKey(v)).not.toBeNull();
    expect(parseNoteVerifierKey(`${name}x+${hash}+${key}`)).toBeNull();
    expect(parseNoteVerifierKey(`${name}+00000000+${key}`)).toBeNull();
    expect(
      parseNoteVerifierKey(
        `${name}+${hash}+${Buffer.from([2, ...Buffer.from(key!, "base64").subarray(1)]).toString("base64")}`,
      ),
    ).toBeNull();
    expect(parseNoteVerifierKey("garbage")).toBeNull();
  });

  it("key names and note texts are those Go's note package accepts", () => {
    expect(isValidNoteKeyName(NAME)).toBe(true);
    for (const bad of ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u2028b", "a\nb"])
      expect(isValidNoteKeyName(bad)).toBe(false);
    const s = signer(NAME);
    expect(() => signNote("no newline", [s])).toThrow(RangeError);
    expect(() => signNote("a\n\nb\n", [s])).toThrow(RangeError);
    expect(() => signNote("a\n", [])).toThrow(RangeError);
    expect(() => checkpointNoteText("bad origin", 1, ROOT)).toThrow(RangeError);
  });

  it("checkpoint bodies: decimal without leading zeros, a 32-byte root, non-empty extension lines", () => {
    const root64 = Buffer.from(ROOT, "hex").toString("base64");
    expect(parseCheckpointNote(`o\n7\n${root64}\next\n`)).toMatchObject({ treeSize: 7, extensions: ["ext"] });
    for (const bad of [
      `o\n07\n${root64}\n`,
      `o\n-1\n${root64}\n`,
      `o\n7\nAAAA\n`,
      `\n7\n${root64}\n`,
      `o\n7\n${root64}`,
      `o\n7\n${root64}\n\n`,
    ])
      expect(parseCheckpointNote(bad), JSON.stringify(bad)).toBeNull();
  });
});

describe("verify.mjs consistency proofs agree with lib/audit/merkle.ts", () => {
  it("for every size pair, a good proof, a wrong root and size 0", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 150 }), fc.nat(), fc.integer(), (n, mPick, seed) => {
        const leaves = Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(`${seed}:${i}`)));
        const m = 1 + (mPick % n);
        const tree = MerkleTree.fromLeafHashes(leaves);
        const oldRoot = computeMerkleRoot(leaves, m);
        const proof = tree.consistencyProof(m);
        const cases: [number, number, Buffer, Buffer][] = [
          [m, n, oldRoot, tree.root],
          [m, n, tree.root, oldRoot],
          [0, n, oldRoot, tree.root],
          [m, n + 1, oldRoot, tree.root],
        ];
        for (const [o, nn, r1, r2] of cases) {
          expect(verifierConsistency(o, nn, r1, r2, proof)).toBe(
            verifyConsistencyProof({ oldSize: o, newSize: nn, oldRoot: r1, newRoot: r2, proof }),
          );
        }
        expect(verifierConsistency(m, n, oldRoot, tree.root, proof)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("the browser's consistency check (lib/audit/consistency-check.ts) agrees with merkle.ts", () => {
  const subtle = async (d: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.digest("SHA-256", d));
  it("for random sizes, good and bad proofs", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100 }), fc.nat(), fc.integer(), async (n, mPick, seed) => {
        const leaves = Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(`${seed}:${i}`)));
        const m = 1 + (mPick % n);
        const tree = MerkleTree.fromLeafHashes(leaves);
        const oldRoot = computeMerkleRoot(leaves, m);
        const proof = tree.consistencyProof(m);
        const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
        for (const [o, nn, r1, r2, p] of [
          [m, n, oldRoot, tree.root, proof],
          [m, n, tree.root, oldRoot, proof],
          [0, n, oldRoot, tree.root, proof],
          [m, n, oldRoot, tree.root, proof.slice(1)],
        ] as [number, number, Buffer, Buffer, Buffer[]][]) {
          expect(
            await checkConsistencyProof(subtle, {
              oldSize: o,
              newSize: nn,
              oldRoot: hex(r1),
              newRoot: hex(r2),
              proof: p.map(hex),
            }),
          ).toBe(verifyConsistencyProof({ oldSize: o, newSize: nn, oldRoot: r1, newRoot: r2, proof: p }));
        }
      }),
      { numRuns: 100 },
    );
  });
});
