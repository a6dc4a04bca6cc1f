import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  generateSigningKey,
  parseSigningKeyring,
  signCheckpoint,
  signWithKey,
  type SigningKeyring,
} from "@/lib/audit/checkpoint";
import { MerkleTree } from "@/lib/audit/merkle";
import { noteVerifierKey, signCheckpointNoteAs } from "@/lib/audit/signed-note";
import { buildProofPack } from "@/lib/proof-pack/build";
import {
  canonicalJson,
  chainHash,
  formatReport,
  main,
  MANIFEST_SIGNING_CONTEXT,
  verifyNote,
  verifyProofPack,
  type PackVerification,
  type ProblemCode,
} from "@/lib/proof-pack/verify.mjs";
import {
  ACTION,
  ACTION_SEQS,
  APPROVAL_1,
  APPROVAL_2,
  ORG,
  ORIGIN,
  OTHER_ORG,
  TREE_SIZE,
  editJson,
  eventLines,
  makeScenario,
  noteFor,
  rehashManifest,
  resignManifest,
  text,
  withEventLines,
  withFile,
  withoutFile,
} from "./fixture";

const scenario = makeScenario();
const { files, keyring, keyId } = scenario;
const fingerprint = createHash("sha256")
  .update(keyring.keys[0]!.publicKey.export({ type: "spki", format: "der" }))
  .digest("hex");

function codes(result: PackVerification): ProblemCode[] {
  return result.problems.map((p) => p.code);
}

function expectProblem(result: PackVerification, code: ProblemCode, ...fragments: string[]) {
  expect(result.ok).toBe(false);
  const found = result.problems.filter((p) => p.code === code);
  expect(found.length, `expected ${code} among ${JSON.stringify(result.problems, null, 2)}`).toBeGreaterThan(0);
  for (const f of fragments) {
    expect(
      found.some((p) => p.message.includes(f)),
      `expected a ${code} message containing ${JSON.stringify(f)}, got ${JSON.stringify(found.map((p) => p.message))}`,
    ).toBe(true);
  }
}

const tmpRoot = mkdtempSync(join(tmpdir(), "warden-pack-"));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

function writePack(pack: ReadonlyMap<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmpRoot, "p-"));
  for (const [name, bytes] of pack) writeFileSync(join(dir, name), bytes);
  return dir;
}

function runVerifier(cwd: string, args: string[] = []) {
  const r = spawnSync(process.execPath, ["verify.mjs", ...args], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "test" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("an untouched pack", () => {
  it("verifies in memory with a full summary", () => {
    const result = verifyProofPack(files);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.summary).toMatchObject({
      org_id: ORG,
      action_id: ACTION,
      tool: "http_proxy",
      operation: "POST /payments",
      effect: "require_approval",
      approvals: 2,
      events: ACTION_SEQS,
      tree_size: TREE_SIZE,
      root_hash: scenario.tree.rootHex,
      checkpoint_time: "2026-05-02T09:29:59.000Z",
      key_id: keyId,
      fingerprint,
    });
  });

  it("verifies as `node verify.mjs` inside the unzipped folder, offline, and prints OK", () => {
    const dir = writePack(files);
    const r = runVerifier(dir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^OK: Warden proof pack verified/);
    for (const s of [
      ACTION,
      "http_proxy / POST /payments",
      `${ACTION_SEQS.length} (seq ${ACTION_SEQS.join(", ")})`,
      `tree size        ${TREE_SIZE}`,
      "2026-05-02T09:29:59.000Z",
      keyId,
      `sha256:${fingerprint}`,
    ]) {
      expect(r.stdout).toContain(s);
    }
    expect(r.stdout).toContain("--expect-key");
  });

  it("verifies a folder given as an argument, ignores hidden files, and accepts --expect-key", () => {
    const dir = writePack(files);
    writeFileSync(join(dir, ".DS_Store"), "x");
    const other = mkdtempSync(join(tmpRoot, "cwd-"));
    writeFileSync(join(other, "verify.mjs"), files.get("verify.mjs")!);
    expect(runVerifier(other, [dir]).status).toBe(0);
    const r = runVerifier(dir, ["--expect-key", fingerprint]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("matches the expected fingerprint");
    expect(runVerifier(dir, [`--expect-key=sha256:${fingerprint.toUpperCase()}`]).status).toBe(0);
    expect(runVerifier(dir, ["--expect-key", keyId]).status).toBe(0);
  });

  it("prints JSON with --json and refuses bad usage with status 2", () => {
    const dir = writePack(files);
    const r = runVerifier(dir, ["--json"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, problems: [] });
    expect(runVerifier(dir, ["--nope"]).status).toBe(2);
    expect(runVerifier(dir, ["--expect-key"]).status).toBe(2);
    expect(runVerifier(dir, [join(dir, "missing-folder")]).status).toBe(2);
  });

  it("main() returns the exit status and writes the report", () => {
    const dir = writePack(files);
    let out = "";
    const status = main([dir], { write: (s: string) => (out += s) }, { write: () => true });
    expect(status).toBe(0);
    expect(out).toBe(formatReport(verifyProofPack(files)));
  });
});

describe("tampering is detected and named", () => {
  it("one byte of an event edited", () => {
    const lines = eventLines(files);
    const i = lines.findIndex((l) => l.includes("invoice checked"));
    lines[i] = lines[i]!.replace("invoice checked", "invoice checkeD");
    const tampered = withEventLines(files, lines);
    const r = verifyProofPack(tampered);
    expectProblem(r, "event_hash_mismatch", "event seq 10", "edited");
    expectProblem(r, "file_hash_mismatch", "events.jsonl");
    // The cross-binding sees it too: approvals.json no longer agrees with the (edited) event.
    expectProblem(r, "binding_mismatch", 'field "reason"');

    const r2 = verifyProofPack(rehashManifest(tampered));
    expectProblem(r2, "event_hash_mismatch", "event seq 10");
    expectProblem(r2, "manifest_signature_invalid");
    expect(codes(r2)).not.toContain("file_hash_mismatch");
  });

  it("an event edited together with its hash fails its inclusion proof and the next event's link", () => {
    const lines = eventLines(files);
    const row = JSON.parse(lines[3]!) as {
      seq: number;
      prev_hash: string;
      hash: string;
      event: { data: { reason: string } };
    };
    expect(row.seq).toBe(10);
    row.event.data.reason = "rubber-stamped";
    row.hash = chainHash(row.prev_hash, row.event);
    lines[3] = JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1))));
    const r = verifyProofPack(withEventLines(files, lines));
    expect(codes(r)).not.toContain("event_hash_mismatch");
    expectProblem(r, "inclusion_proof_invalid", "event seq 10");
    expectProblem(r, "event_link_broken", "event seq 11");
  });

  it("an event line deleted", () => {
    const lines = eventLines(files).filter((l) => !l.includes('"action":"action.executed"'));
    const r = verifyProofPack(withEventLines(files, lines));
    expectProblem(r, "file_hash_mismatch", "events.jsonl");
    expectProblem(r, "proof_without_event", "seq 15");
    const r2 = verifyProofPack(rehashManifest(withEventLines(files, lines)));
    expectProblem(r2, "manifest_signature_invalid");
    expectProblem(r2, "proof_without_event", "seq 15");
  });

  it("two lines swapped", () => {
    const lines = eventLines(files);
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    const r = verifyProofPack(withEventLines(files, lines));
    expectProblem(r, "event_out_of_order", "events.jsonl line 3", "seq 4 comes after seq 6");
  });

  it("an event duplicated", () => {
    const lines = eventLines(files);
    lines.splice(2, 0, lines[1]!);
    const r = verifyProofPack(withEventLines(files, lines));
    expectProblem(r, "event_duplicate", "event seq 4 appears more than once");
  });

  it("the tail truncated", () => {
    const bytes = files.get("events.jsonl")!;
    const r = verifyProofPack(withFile(files, "events.jsonl", bytes.subarray(0, bytes.length - 40)));
    expectProblem(r, "events_truncated");
    expectProblem(r, "event_malformed", "line 6");
    expectProblem(r, "proof_without_event", "seq 15");
    expectProblem(r, "file_hash_mismatch", "events.jsonl");

    const lines = eventLines(files).slice(0, -1);
    const r2 = verifyProofPack(rehashManifest(withEventLines(files, lines)));
    expectProblem(r2, "proof_without_event", "seq 15");
    expectProblem(r2, "manifest_signature_invalid");
  });

  it("action.json edited, with and without recomputing the manifest", () => {
    const edited = editJson<Record<string, unknown>>(files, "action.json", (a) => ({
      ...a,
      operation: "POST /refunds",
    }));
    const r = verifyProofPack(edited);
    expectProblem(r, "file_hash_mismatch", "action.json");
    expectProblem(
      r,
      "binding_mismatch",
      'action.json field "operation" is "POST /refunds"',
      "action.submitted event (seq 3)",
      '"POST /payments"',
    );

    const r2 = verifyProofPack(rehashManifest(edited));
    expectProblem(r2, "manifest_signature_invalid");
    expectProblem(r2, "binding_mismatch", 'field "operation"');
    expect(codes(r2)).not.toContain("file_hash_mismatch");

    // Even re-signed by the key holder, the log still disagrees.
    const r3 = verifyProofPack(resignManifest(edited, keyring, keyId));
    expect(codes(r3)).toEqual(["binding_mismatch"]);

    const noHash = verifyProofPack(
      editJson<Record<string, unknown>>(files, "action.json", ({ payload_hash: _, ...a }) => a),
    );
    expectProblem(noHash, "binding_mismatch", 'action.json has no field "payload_hash"');
  });

  it("action.json replaced by another action's id", () => {
    const r = verifyProofPack(
      resignManifest(
        editJson<Record<string, unknown>>(files, "action.json", (a) => ({ ...a, id: "someone-else" })),
        keyring,
        keyId,
      ),
    );
    expectProblem(r, "action_mismatch", '"someone-else"');
    expectProblem(r, "binding_mismatch", 'field "id"');
  });

  it("decision.json edited, with and without recomputing the manifest", () => {
    const edited = editJson<{ rule: { name: string } }>(files, "decision.json", (d) => ({
      ...d,
      rule: { ...d.rule, name: "small payments" },
    }));
    const r = verifyProofPack(edited);
    expectProblem(r, "file_hash_mismatch", "decision.json");
    expectProblem(r, "binding_mismatch", 'decision.json field "rule"', "action.decided event (seq 4)");
    const r2 = verifyProofPack(rehashManifest(edited));
    expectProblem(r2, "manifest_signature_invalid");
    expectProblem(r2, "binding_mismatch", 'decision.json field "rule"');

    const effect = verifyProofPack(
      rehashManifest(editJson<Record<string, unknown>>(files, "decision.json", (d) => ({ ...d, effect: "allow" }))),
    );
    expectProblem(effect, "binding_mismatch", 'decision.json field "effect" is "allow"', '"require_approval"');
  });

  it("an approval entry and its event deleted, manifest recomputed: caught by manifest.sig", () => {
    let t = editJson<Record<string, unknown>[]>(files, "approvals.json", (a) =>
      a.filter((x) => x.approval_id !== APPROVAL_2),
    );
    t = withEventLines(
      t,
      eventLines(t).filter((l) => !l.includes(APPROVAL_2)),
    );
    t = editJson<{ proofs: { seq: number }[] }>(t, "proofs.json", (p) => ({
      ...p,
      proofs: p.proofs.filter((x) => x.seq !== 11),
    }));
    const r = verifyProofPack(rehashManifest(t));
    expect(codes(r)).toEqual(["manifest_signature_invalid"]);
    expect(formatReport(r)).toContain("manifest.sig: the signature over manifest.json does not verify");
  });

  it("an approval entry deleted but its event kept, or the reverse", () => {
    const entryGone = editJson<Record<string, unknown>[]>(files, "approvals.json", (a) =>
      a.filter((x) => x.approval_id !== APPROVAL_2),
    );
    expectProblem(
      verifyProofPack(entryGone),
      "binding_missing",
      "approval event seq 11",
      "has no entry in approvals.json",
    );
    const mfa = editJson<Record<string, unknown>[]>(files, "approvals.json", (a) =>
      a.map((x) => ({ ...x, mfa: true })),
    );
    expectProblem(
      verifyProofPack(mfa),
      "binding_mismatch",
      'approvals.json field "mfa" is true',
      "approval.approved event (seq 11)",
    );
    const extra = editJson<Record<string, unknown>[]>(files, "approvals.json", (a) => [
      ...a,
      { ...a[0], approval_id: "made-up" },
    ]);
    expectProblem(verifyProofPack(extra), "binding_missing", 'approvals.json entry for approval "made-up" by approver');
  });

  it("a quorum: two approvers' decisions on one approval verify, each bound by (approval_id, approver_id)", () => {
    // The pipeline names the approval request in data.approval_id; with a
    // quorum several decisions share it and the approver tells them apart.
    const quorum = makeScenario(keyring, (seq, spec) =>
      seq === 11 ? { ...spec, data: { ...(spec.data as Record<string, unknown>), approval_id: APPROVAL_1 } } : spec,
    );
    const approvals = JSON.parse(text(quorum.files, "approvals.json")) as Record<string, unknown>[];
    expect(approvals.map((a) => a.approval_id)).toEqual([APPROVAL_1, APPROVAL_1]);
    expect(verifyProofPack(quorum.files)).toMatchObject({ ok: true });

    const swapped = editJson<Record<string, unknown>[]>(quorum.files, "approvals.json", (a) =>
      a.map((x, i) => ({ ...x, reason: a[1 - i]!.reason })),
    );
    expectProblem(verifyProofPack(swapped), "binding_mismatch", 'approvals.json field "reason"');
    const twice = editJson<Record<string, unknown>[]>(quorum.files, "approvals.json", (a) => [a[0]!, a[0]!]);
    expectProblem(
      verifyProofPack(twice),
      "binding_duplicate",
      `approvals.json lists the decision on approval "${APPROVAL_1}" by approver`,
    );
    expectProblem(verifyProofPack(twice), "binding_missing", "approval event seq 11");
  });

  it("public-key.pem replaced without re-signing", () => {
    const other = generateSigningKey({ validFrom: new Date("2026-01-01T00:00:00.000Z") });
    const r = verifyProofPack(withFile(files, "public-key.pem", other.publicKeyPem));
    expectProblem(r, "file_hash_mismatch", "public-key.pem");
    expectProblem(
      r,
      "key_id_mismatch",
      `checkpoint.json was signed by key "${keyId}" but public-key.pem is key ${other.keyId}`,
    );
    expectProblem(r, "checkpoint_signature_invalid");
    expectProblem(r, "manifest_signature_invalid");
  });

  it("public-key.pem replaced and everything re-signed under the old key id: key id mismatch", () => {
    const other = generateSigningKey({ validFrom: new Date("2026-01-01T00:00:00.000Z") });
    const otherRing = parseSigningKeyring(other.spec);
    const { org_id, tree_size, root_hash, timestamp } = scenario.checkpoint.checkpoint;
    const forged = signCheckpoint(otherRing, { org_id, tree_size, root_hash, timestamp });
    const checkpointJson = { checkpoint: { ...forged.checkpoint, key_id: keyId }, signature: forged.signature };
    let t = withFile(files, "public-key.pem", other.publicKeyPem);
    t = withFile(t, "checkpoint.json", JSON.stringify(checkpointJson));
    const r = verifyProofPack(resignManifest(t, otherRing, other.keyId, keyId));
    expectProblem(
      r,
      "key_id_mismatch",
      `manifest.json names signing key "${keyId}" but public-key.pem is key ${other.keyId}`,
    );
    expectProblem(r, "checkpoint_signature_invalid");
  });

  it("a whole pack forged with another key verifies only without --expect-key", () => {
    const otherRing = parseSigningKeyring(generateSigningKey({ validFrom: new Date("2026-01-01T00:00:00.000Z") }).spec);
    const forgedCheckpoint = signCheckpoint(otherRing, {
      org_id: ORG,
      tree_size: scenario.tree.size,
      root_hash: scenario.tree.rootHex,
      timestamp: "2026-05-02T09:29:59.000Z",
    });
    const forged = buildProofPack(
      { ...scenario.input, checkpoint: forgedCheckpoint, checkpointNote: noteFor(otherRing, scenario.tree) },
      otherRing,
    );
    expect(verifyProofPack(forged).ok).toBe(true);
    const r = verifyProofPack(forged, { expectKey: fingerprint });
    expect(codes(r)).toEqual(["expected_key_mismatch"]);
    expect(r.problems[0]!.message).toContain(`expected ${fingerprint}`);
    expect(verifyProofPack(forged, { expectKey: keyId }).ok).toBe(false);

    const dir = writePack(forged);
    const cli = runVerifier(dir, ["--expect-key", fingerprint]);
    expect(cli.status).toBe(1);
    expect(cli.stdout).toMatch(/^FAILED/);
    expect(cli.stdout).toContain("public-key.pem is not the expected key");
  });

  it("a malformed --expect-key is an error, not a pass", () => {
    expectProblem(verifyProofPack(files, { expectKey: "abc" }), "expected_key_invalid");
  });

  it("one byte of a proof flipped", () => {
    const t = editJson<{ proofs: { seq: number; audit_path: string[] }[] }>(files, "proofs.json", (p) => ({
      ...p,
      proofs: p.proofs.map((x) =>
        x.seq === 6
          ? { ...x, audit_path: x.audit_path.map((h, i) => (i === 1 ? (h[0] === "0" ? "1" : "0") + h.slice(1) : h)) }
          : x,
      ),
    }));
    const r = verifyProofPack(t);
    expectProblem(r, "inclusion_proof_invalid", "event seq 6");
    expect(r.problems.filter((p) => p.code === "inclusion_proof_invalid")).toHaveLength(1);
    expectProblem(r, "file_hash_mismatch", "proofs.json");
  });

  it("a proof missing, or moved to another leaf index", () => {
    const missing = editJson<{ proofs: { seq: number }[] }>(files, "proofs.json", (p) => ({
      ...p,
      proofs: p.proofs.filter((x) => x.seq !== 4),
    }));
    expectProblem(verifyProofPack(missing), "proof_missing", "event seq 4 has no inclusion proof");
    const moved = editJson<{ proofs: { seq: number; leaf_index: number }[] }>(files, "proofs.json", (p) => ({
      ...p,
      proofs: p.proofs.map((x) => (x.seq === 4 ? { ...x, leaf_index: 4 } : x)),
    }));
    expectProblem(verifyProofPack(moved), "proof_index_mismatch", "seq 4 is for leaf index 4, expected 3");
  });

  it("a checkpoint with a smaller tree size than a proven index, even when validly signed", () => {
    const small = MerkleTree.fromEventHashes(scenario.chain.slice(0, 10).map((r) => r.hash));
    const cp = signCheckpoint(keyring, {
      org_id: ORG,
      tree_size: 10,
      root_hash: small.rootHex,
      timestamp: "2026-05-02T09:29:59.000Z",
    });
    const t = resignManifest(withFile(files, "checkpoint.json", JSON.stringify(cp)), keyring, keyId);
    const r = verifyProofPack(t);
    expectProblem(
      r,
      "checkpoint_too_small",
      "event seq 11 (leaf index 10) is beyond the checkpoint's tree size 10",
      "event seq 15",
    );
    expectProblem(r, "proof_tree_size_mismatch");
    expect(codes(r)).not.toContain("manifest_signature_invalid");
    expect(codes(r)).not.toContain("checkpoint_signature_invalid");
  });

  it("a checkpoint edited without its key", () => {
    const t = editJson<{ checkpoint: { tree_size: number } }>(files, "checkpoint.json", (c) => ({
      ...c,
      checkpoint: { ...c.checkpoint, tree_size: 31 },
    }));
    const r = verifyProofPack(t);
    expectProblem(r, "checkpoint_signature_invalid", "checkpoint.json");
    expectProblem(r, "proof_tree_size_mismatch");
  });

  it("an event of another action slipped in with its genuine proof", () => {
    const foreign = scenario.chain.find((row) => row.seq === 2)!;
    let t = withEventLines(files, [canonicalJson(foreign), ...eventLines(files)]);
    t = editJson<{ proofs: unknown[] }>(t, "proofs.json", (p) => ({
      ...p,
      proofs: [
        { seq: 2, leaf_index: 1, audit_path: scenario.tree.inclusionProof(1).map((h) => h.toString("hex")) },
        ...p.proofs,
      ],
    }));
    const r = verifyProofPack(resignManifest(t, keyring, keyId));
    expectProblem(r, "event_foreign", "event seq 2", "is not about action");
    expectProblem(r, "binding_duplicate", "2 action.submitted events (seq 2, 3)");
    expect(codes(r)).not.toContain("inclusion_proof_invalid");
  });

  it("a missing, an unexpected and a replaced file", () => {
    expectProblem(verifyProofPack(withoutFile(files, "proofs.json")), "file_missing", "missing file proofs.json");
    expectProblem(verifyProofPack(withFile(files, "notes.txt", "hi")), "file_unexpected", '"notes.txt"');
    const evil = withFile(files, "verify.mjs", 'console.log("OK");\n');
    expectProblem(verifyProofPack(evil), "file_hash_mismatch", "verify.mjs");
    expectProblem(verifyProofPack(withFile(files, "README.txt", "trust me\n")), "file_hash_mismatch", "README.txt");
  });

  it("a manifest that drops a file from its list, or lists an extra one", () => {
    const dropped = withFile(
      files,
      "manifest.json",
      text(files, "manifest.json").replace(/"README\.txt":"[0-9a-f]{64}",?/, ""),
    );
    const r = verifyProofPack(dropped);
    expectProblem(r, "manifest_incomplete", "manifest.json does not list README.txt");
    expectProblem(r, "manifest_signature_invalid");
    const padded = withFile(
      files,
      "manifest.json",
      text(files, "manifest.json").replace('"files":{', `"files":{"../x":"${"0".repeat(64)}",`),
    );
    expectProblem(verifyProofPack(padded), "manifest_unexpected_entry", 'manifest.json lists "../x"');
  });

  it("an event from another organization", () => {
    const lines = eventLines(files);
    const manifest = JSON.parse(text(files, "manifest.json")) as Record<string, unknown>;
    const t = withFile(
      files,
      "manifest.json",
      JSON.stringify({ ...manifest, org_id: "00000000-0000-4000-8000-000000000000" }),
    );
    const r = verifyProofPack(t);
    expectProblem(r, "event_org_mismatch", `event seq ${JSON.parse(lines[0]!).seq}`);
    expectProblem(r, "org_mismatch", "checkpoint.json is for organization");
  });

  it("reports non-canonical lines, garbage and malformed files without crashing", () => {
    const lines = eventLines(files);
    lines[0] = JSON.stringify(JSON.parse(lines[0]!), null, 1).replace(/\n/g, "");
    expectProblem(verifyProofPack(withEventLines(files, lines)), "event_not_canonical", "line 1 (seq 3)");
    expectProblem(verifyProofPack(withEventLines(files, ["{}", ...eventLines(files)])), "event_malformed", "line 1");
    expectProblem(verifyProofPack(withFile(files, "manifest.json", "[]")), "manifest_malformed");
    expectProblem(verifyProofPack(withFile(files, "manifest.sig", "{}")), "manifest_signature_malformed");
    expectProblem(verifyProofPack(withFile(files, "checkpoint.json", "{}")), "checkpoint_malformed");
    expectProblem(verifyProofPack(withFile(files, "proofs.json", "{}")), "proofs_malformed");
    expectProblem(verifyProofPack(withFile(files, "public-key.pem", "nope")), "public_key_invalid");
    const leaked = generateSigningKey({ validFrom: new Date("2026-01-01T00:00:00.000Z") }).privateKeyPem;
    expectProblem(
      verifyProofPack(withFile(files, "public-key.pem", leaked)),
      "public_key_invalid",
      "holds a private key",
    );
    expectProblem(verifyProofPack(withFile(files, "approvals.json", "{}")), "approvals_malformed");
    expectProblem(
      verifyProofPack(withFile(files, "action.json", Buffer.from([0xff, 0xfe]))),
      "file_malformed",
      "action.json is not valid UTF-8",
    );
    expectProblem(verifyProofPack(withFile(files, "events.jsonl", "")), "events_empty");
    const everything = verifyProofPack(new Map());
    expect(everything.problems.filter((p) => p.code === "file_missing")).toHaveLength(13);
  });

  it("refuses links and folders in place of pack files", () => {
    const dir = writePack(withoutFile(files, "README.txt"));
    symlinkSync(join(dir, "action.json"), join(dir, "README.txt"));
    mkdirSync(join(dir, "sub"));
    const r = runVerifier(dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("README.txt is not a regular file");
    expect(r.stdout).toContain('unexpected file "sub"');
  });

  it("never prints control or bidi characters from the pack to the terminal", () => {
    const named = verifyProofPack(withFile(files, "\u001b[2Jevil\u202e.txt", ""));
    const report = formatReport(named);
    expect(report).toContain("\\u001b[2Jevil\\u202e.txt");
    expect(report).not.toMatch(/[\u001b\u202e]/);
    const ok = verifyProofPack(files);
    const hostile = formatReport({
      ...ok,
      summary: { ...ok.summary, tool: "\u001b]0;pwned\u0007", operation: "\u2066x" },
    });
    expect(hostile).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u2066]/);
    expect(hostile).toContain("\\u001b]0;pwned\\u0007");
  });

  it("prints exactly what is wrong and exits 1 when run as a script", () => {
    const lines = eventLines(files);
    lines[1] = lines[1]!.replace('"high"', '"low"');
    const dir = writePack(withEventLines(files, lines));
    const r = runVerifier(dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAILED: this Warden proof pack does not verify \(\d+ problems\)/);
    expect(r.stdout).toContain("events.jsonl does not match manifest.json");
    expect(r.stdout).toContain(
      "event seq 4 (events.jsonl line 2): its content does not match its hash; the event was edited",
    );
    expect(r.stdout).toContain(
      'decision.json field "risk_level" is "high" but the action.decided event (seq 4) records "low"',
    );
  });
});

describe("the signed-note checkpoint (version 2)", () => {
  const sign = (ring: SigningKeyring, origin: string, size: number, root: string) =>
    signCheckpointNoteAs(ring, origin, size, root, new Date("2026-05-02T09:29:59.000Z"));
  const resigned = (pack: ReadonlyMap<string, Uint8Array>) => resignManifest(pack, keyring, keyId);

  it("carries the note and its verifier key, both reported in the summary and by the CLI", () => {
    const result = verifyProofPack(files);
    expect(result.summary).toMatchObject({ version: 2, log_origin: ORIGIN });
    expect(result.summary.verifier_key).toBe(text(files, "checkpoint.vkey").trim());
    expect(verifyNote(text(files, "checkpoint.note"), [text(files, "checkpoint.vkey").trim()]).ok).toBe(true);
    const cli = runVerifier(writePack(files));
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain(`log origin       ${ORIGIN}`);
  });

  it("a note edited without the key: note_signature_invalid", () => {
    const note = text(files, "checkpoint.note").replace(`\n${TREE_SIZE}\n`, `\n${TREE_SIZE + 1}\n`);
    expectProblem(verifyProofPack(resigned(withFile(files, "checkpoint.note", note))), "note_signature_invalid");
    expectProblem(verifyProofPack(withFile(files, "checkpoint.note", note)), "file_hash_mismatch", "checkpoint.note");
  });

  it("a note validly signed for another size or root: note_mismatch", () => {
    const other = MerkleTree.fromEventHashes(scenario.chain.slice(0, TREE_SIZE - 1).map((r) => r.hash));
    const smaller = sign(keyring, ORIGIN, other.size, other.rootHex);
    expectProblem(
      verifyProofPack(resigned(withFile(files, "checkpoint.note", smaller))),
      "note_mismatch",
      `states tree size ${TREE_SIZE - 1}`,
    );
  });

  it("another organization's origin, another key, a broken key hash", () => {
    const otherOrigin = `warden.test/audit/${OTHER_ORG}`;
    const key = keyring.keys[0]!;
    const theirs = withFile(
      withFile(files, "checkpoint.note", sign(keyring, otherOrigin, TREE_SIZE, scenario.tree.rootHex)),
      "checkpoint.vkey",
      `${noteVerifierKey(otherOrigin, key.publicKey)}\n`,
    );
    expectProblem(verifyProofPack(resigned(theirs)), "org_mismatch", OTHER_ORG);

    const stranger = parseSigningKeyring(generateSigningKey({ validFrom: new Date("2026-01-01T00:00:00.000Z") }).spec);
    const swapped = withFile(
      withFile(files, "checkpoint.note", sign(stranger, ORIGIN, TREE_SIZE, scenario.tree.rootHex)),
      "checkpoint.vkey",
      `${noteVerifierKey(ORIGIN, stranger.keys[0]!.publicKey)}\n`,
    );
    expectProblem(verifyProofPack(resigned(swapped)), "key_id_mismatch", "checkpoint.vkey");

    const vkey = text(files, "checkpoint.vkey").trim().split("+");
    const broken = `${vkey[0]}+00000000+${vkey[2]}\n`;
    expectProblem(verifyProofPack(resigned(withFile(files, "checkpoint.vkey", broken))), "note_key_invalid");
  });

  it("a rotation: a note signed by both keys verifies with the pack's key", () => {
    const ring = parseSigningKeyring(
      `${generateSigningKey({ validFrom: new Date("2025-06-01T00:00:00.000Z") }).spec};${
        generateSigningKey({ validFrom: new Date("2026-01-01T00:00:00.000Z") }).spec
      }`,
    );
    const s = makeScenario(ring);
    expect(text(s.files, "checkpoint.note").match(/\n\u2014 /g)).toHaveLength(2);
    expect(verifyProofPack(s.files).ok).toBe(true);
  });

  it("version 1 packs (no note) still verify; the note files cannot be dropped from a version 2 pack", () => {
    // A version 1 pack as Warden wrote them before notes: nine content files.
    const v1 = withoutFile(withoutFile(files, "checkpoint.note"), "checkpoint.vkey");
    const manifest = JSON.parse(text(v1, "manifest.json")) as { version: number; files: Record<string, string> };
    manifest.version = 1;
    delete manifest.files["checkpoint.note"];
    delete manifest.files["checkpoint.vkey"];
    const bytes = Buffer.from(`${canonicalJson(manifest)}\n`, "utf8");
    const sig = signWithKey(keyring.keys[0]!, MANIFEST_SIGNING_CONTEXT, bytes);
    const oldPack = withFile(
      withFile(v1, "manifest.json", bytes),
      "manifest.sig",
      `${JSON.stringify({ alg: "Ed25519", key_id: keyId, signature: sig }, null, 2)}\n`,
    );
    const r = verifyProofPack(oldPack);
    expect(r.problems).toEqual([]);
    expect(r.summary).toMatchObject({ version: 1, log_origin: null });
    expect(runVerifier(writePack(oldPack)).status).toBe(0);

    // Dropping the note from a version 2 pack, or claiming version 1 without the key.
    expectProblem(verifyProofPack(withoutFile(files, "checkpoint.note")), "file_missing", "checkpoint.note");
    expectProblem(verifyProofPack(withFile(v1, "manifest.json", bytes)), "manifest_signature_invalid");
    expectProblem(verifyProofPack(withFile(oldPack, "checkpoint.note", "x")), "file_unexpected", "checkpoint.note");
  });
});
