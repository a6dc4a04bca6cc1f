import { createPublicKey, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateSigningKey, parseSigningKeyring, signCheckpoint, type SigningKeyring } from "@/lib/audit/checkpoint";
import { canonicalEvent } from "@/lib/audit/event";
import { MerkleTree } from "@/lib/audit/merkle";
import { AppError } from "@/lib/errors";
import { buildProofPack, type ProofPackInput } from "@/lib/proof-pack/build";
import { VERIFY_MJS_SOURCE } from "@/lib/proof-pack/verifier-source";
import {
  CONTENT_FILES,
  MANIFEST_SIGNING_CONTEXT,
  PACK_FILES,
  canonicalJson,
  sha256Hex,
  verifyProofPack,
} from "@/lib/proof-pack/verify.mjs";
import { ACTION, ACTION_SEQS, CREATED_AT, ORG, TREE_SIZE, makeScenario, noteFor, text, type Spec } from "./fixture";

const scenario = makeScenario();
const { input, keyring, files, keyId } = scenario;

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}

describe("buildProofPack", () => {
  it("writes exactly the pack files, in order, with the manifest over all content files", () => {
    expect([...files.keys()]).toEqual([...PACK_FILES]);
    const manifest = JSON.parse(text(files, "manifest.json")) as Record<string, unknown>;
    expect(text(files, "manifest.json")).toBe(`${canonicalJson(manifest)}\n`);
    expect(manifest).toEqual({
      format: "warden.proof-pack",
      version: 2,
      org_id: ORG,
      action_id: ACTION,
      created_at: CREATED_AT.toISOString(),
      key_id: keyId,
      files: Object.fromEntries(CONTENT_FILES.map((n) => [n, sha256Hex(files.get(n)!)])),
    });
    const sig = JSON.parse(text(files, "manifest.sig")) as { alg: string; key_id: string; signature: string };
    expect(sig.alg).toBe("Ed25519");
    expect(sig.key_id).toBe(keyId);
    const signed = Buffer.concat([Buffer.from(MANIFEST_SIGNING_CONTEXT), files.get("manifest.json")!]);
    expect(
      verify(null, signed, createPublicKey(text(files, "public-key.pem")), Buffer.from(sig.signature, "base64")),
    ).toBe(true);
  });

  it("writes each event as the canonical JSON of {seq, prev_hash, hash, event}, in seq order", () => {
    const lines = text(files, "events.jsonl").split("\n");
    expect(lines.pop()).toBe("");
    const expected = scenario.chain.filter((r) => ACTION_SEQS.includes(r.seq));
    expect(lines).toEqual(
      expected.map((r) => canonicalJson({ seq: r.seq, prev_hash: r.prev_hash, hash: r.hash, event: r.event })),
    );
    // The event inside each line is byte for byte what the chain hashed.
    for (const [i, line] of lines.entries()) {
      expect(canonicalJson((JSON.parse(line) as { event: unknown }).event)).toBe(canonicalEvent(expected[i]!.event));
    }
  });

  it("copies the verifier verbatim and writes a README that says how to verify", () => {
    expect(text(files, "verify.mjs")).toBe(VERIFY_MJS_SOURCE);
    const readme = text(files, "README.txt");
    expect(readme).toContain("node verify.mjs");
    expect(readme).toContain("--expect-key");
    expect(readme).toContain(ACTION);
    expect(readme).toContain(`Signing key    ${keyId}`);
    expect(readme).toMatch(/^[\x20-\x7e\n]*$/);
  });

  it("orders events given in any order and accepts precomputed proofs", () => {
    const shuffled = [...input.events].reverse();
    const proofs = ACTION_SEQS.map((seq) => ({
      seq,
      audit_path: scenario.tree.inclusionProof(seq - 1).map((h) => h.toString("hex")),
    }));
    const again = buildProofPack({ ...input, events: shuffled, proofs: { inclusionProofs: proofs } }, keyring);
    expect(text(again, "events.jsonl")).toBe(text(files, "events.jsonl"));
    expect(text(again, "proofs.json")).toBe(text(files, "proofs.json"));
    expect(verifyProofPack(again).ok).toBe(true);
  });

  it("is deterministic for the same input", () => {
    const again = buildProofPack(input, keyring);
    for (const name of PACK_FILES)
      expect(Buffer.from(again.get(name)!).equals(Buffer.from(files.get(name)!)), name).toBe(true);
  });

  it("refuses a checkpoint that does not match the tree", () => {
    const smaller = MerkleTree.fromEventHashes(scenario.chain.slice(0, TREE_SIZE - 1).map((r) => r.hash));
    expect(errorOf(() => buildProofPack({ ...input, proofs: { tree: smaller } }, keyring)).code).toBe("conflict");
    const lying = signCheckpoint(keyring, {
      org_id: ORG,
      tree_size: TREE_SIZE,
      root_hash: "ab".repeat(32),
      timestamp: "2026-05-02T09:00:00.000Z",
    });
    expect(errorOf(() => buildProofPack({ ...input, checkpoint: lying }, keyring)).code).toBe("conflict");
  });

  it("refuses a checkpoint too small for the events, for another org, or not verifying", () => {
    const small = MerkleTree.fromEventHashes(scenario.chain.slice(0, 12).map((r) => r.hash));
    const cp = signCheckpoint(keyring, {
      org_id: ORG,
      tree_size: 12,
      root_hash: small.rootHex,
      timestamp: "2026-05-02T09:00:00.000Z",
    });
    expect(
      errorOf(() => buildProofPack({ ...input, checkpoint: cp, proofs: { tree: small } }, keyring)).message,
    ).toMatch(/does not cover event seq 15/);

    const foreign = signCheckpoint(keyring, {
      org_id: "00000000-0000-4000-8000-00000000abcd",
      tree_size: TREE_SIZE,
      root_hash: scenario.tree.rootHex,
    });
    expect(errorOf(() => buildProofPack({ ...input, checkpoint: foreign }, keyring)).message).toMatch(
      /another organization/,
    );

    const edited = { ...input.checkpoint, checkpoint: { ...input.checkpoint.checkpoint, tree_size: 31 } };
    expect(errorOf(() => buildProofPack({ ...input, checkpoint: edited }, keyring)).message).toMatch(/does not verify/);
  });

  it("needs the checkpoint's key to still sign: after a rotation, sign a fresh checkpoint", () => {
    const oldKey = generateSigningKey({ validFrom: new Date("2026-01-01T00:00:00.000Z") });
    const newKey = generateSigningKey({ validFrom: new Date("2026-04-01T00:00:00.000Z") });
    const oldRing = parseSigningKeyring(oldKey.spec);
    const oldCheckpoint = signCheckpoint(oldRing, {
      org_id: ORG,
      tree_size: TREE_SIZE,
      root_hash: scenario.tree.rootHex,
      timestamp: "2026-03-01T00:00:00.000Z",
    });
    const spki = createPublicKey(oldKey.publicKeyPem).export({ type: "spki", format: "der" }).toString("base64");
    const rotated: SigningKeyring = parseSigningKeyring(
      `pk:${spki}@2026-01-01T00:00:00Z/2026-04-01T00:00:00Z;${newKey.spec}`,
    );
    expect(errorOf(() => buildProofPack({ ...input, checkpoint: oldCheckpoint }, rotated)).message).toMatch(
      /can no longer sign/,
    );

    const fresh = signCheckpoint(rotated, {
      org_id: ORG,
      tree_size: TREE_SIZE,
      root_hash: scenario.tree.rootHex,
      timestamp: "2026-05-02T09:00:00.000Z",
    });
    const pack = buildProofPack(
      { ...input, checkpoint: fresh, checkpointNote: noteFor(rotated, scenario.tree, new Date(CREATED_AT)) },
      rotated,
    );
    expect(verifyProofPack(pack, { expectKey: newKey.keyId }).ok).toBe(true);

    const stranger = parseSigningKeyring(generateSigningKey({ validFrom: new Date("2026-01-01T00:00:00.000Z") }).spec);
    expect(errorOf(() => buildProofPack(input, stranger)).message).toMatch(/not signed by a key of this keyring/);
  });

  it("refuses records that break the event contracts, with the verifier's words", () => {
    const err = errorOf(() =>
      buildProofPack({ ...input, decision: { ...input.decision, policy_version: 2 } }, keyring),
    );
    expect(err.code).toBe("conflict");
    expect(err.errors).toContainEqual({
      path: "decision.json",
      message: 'decision.json field "policy_version" is 2 but the action.decided event (seq 4) records 3',
    });

    const noApproval = errorOf(() => buildProofPack({ ...input, approvals: input.approvals.slice(0, 1) }, keyring));
    expect(noApproval.errors?.map((e) => e.message)).toContainEqual(expect.stringContaining("approval event seq 11"));

    // A broken chain in the database: an event edited after it was hashed.
    const edited = input.events.map((e) => (e.seq === 4 ? { ...e, event: { ...e.event, ip: "198.51.100.1" } } : e));
    const broken = errorOf(() => buildProofPack({ ...input, events: edited }, keyring));
    expect(broken.errors?.map((e) => e.message)).toContainEqual(
      expect.stringContaining("event seq 4 (events.jsonl line 2): its content does not match its hash"),
    );
  });

  it("refuses a log whose own events break the contracts", () => {
    const contradictory = (seq: number, spec: Spec): Spec =>
      seq === 11 ? { ...spec, data: { ...(spec.data as object), decision: "rejected" } } : spec;
    const err = errorOf(() => makeScenario(keyring, contradictory));
    expect(err.code).toBe("conflict");
    expect(err.errors?.map((e) => e.message)).toContainEqual(
      'event seq 11 is approval.approved but its data.decision is "rejected"',
    );

    const untargeted = (seq: number, spec: Spec): Spec =>
      seq === 4 ? { ...spec, target: { type: "policy", id: "p1" } } : spec;
    const err2 = errorOf(() => makeScenario(keyring, untargeted));
    expect(err2.errors?.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/^event seq 4 \("action.decided"\) is not about action/),
    );
    expect(err2.errors?.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/^the action.decided event \(seq 4\) must target/),
    );
  });

  it("validates its input", () => {
    expect(errorOf(() => buildProofPack({ ...input, events: [] }, keyring)).code).toBe("validation_failed");
    expect(errorOf(() => buildProofPack({ ...input, orgId: "acme" }, keyring)).code).toBe("validation_failed");
    const dup = [...input.events, input.events[0]!];
    expect(errorOf(() => buildProofPack({ ...input, events: dup }, keyring)).message).toMatch(/seq 3 is given twice/);
    const noProof = { inclusionProofs: [] } satisfies ProofPackInput["proofs"];
    expect(errorOf(() => buildProofPack({ ...input, proofs: noProof }, keyring)).message).toMatch(
      /No inclusion proof was given for event seq 3/,
    );
    const badHash = input.events.map((e) => (e.seq === 3 ? { ...e, hash: e.hash.toUpperCase() } : e));
    expect(errorOf(() => buildProofPack({ ...input, events: badHash }, keyring)).errors?.[0]?.path).toBe(
      "events.0.hash",
    );
  });
});
