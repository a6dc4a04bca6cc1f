import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import {
  generateSigningKey,
  parseSigningKeyring,
  signCheckpoint,
  signWithKey,
  type SignedCheckpoint,
  type SigningKeyring,
} from "@/lib/audit/checkpoint";
import { GENESIS_HASH, canonicalEvent, chainHash, normaliseData, type HashedEvent } from "@/lib/audit/event";
import { MerkleTree } from "@/lib/audit/merkle";
import { signCheckpointNoteAs } from "@/lib/audit/signed-note";
import { buildProofPack, type PackEvent, type ProofPackInput } from "@/lib/proof-pack/build";
import { CONTENT_FILES, MANIFEST_SIGNING_CONTEXT } from "@/lib/proof-pack/verify.mjs";

/**
 * A synthetic but well-formed organization chain: real event hashes from
 * lib/audit/event.ts, a real Merkle tree, a real Ed25519 key. The action
 * under test has six events among thirty, two of them consecutive pairs.
 */

export const ORG = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
export const ORIGIN = `warden.test/audit/${ORG}`;
export const OTHER_ORG = "9b2d3f4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
export const ACTION = "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b";
export const OTHER_ACTION = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
export const AGENT = "d4c3b2a1-0f9e-4d8c-b7a6-958473625140";
export const APPROVAL_REQUEST = "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716";
export const APPROVER_1 = "11111111-2222-4333-8444-555555555555";
export const APPROVER_2 = "66666666-7777-4888-9999-aaaaaaaaaaaa";
export const APPROVAL_1 = "b0b0b0b0-0000-4000-8000-000000000001";
export const APPROVAL_2 = "b0b0b0b0-0000-4000-8000-000000000002";
export const PAYLOAD_HASH = createHash("sha256").update('{"amount":5000,"to":"acct_123"}').digest("hex");
export const TREE_SIZE = 30;
export const ACTION_SEQS = [3, 4, 6, 10, 11, 15];

export type Spec = Pick<HashedEvent, "actor" | "action" | "target"> & { data: unknown };

function uuidFor(seq: number): string {
  return `00000000-0000-4000-8000-${seq.toString().padStart(12, "0")}`;
}

function specFor(seq: number): Spec {
  const system = { type: "system" as const, id: null };
  const agentKey = { type: "api_key" as const, id: "key_1" };
  switch (seq) {
    case 2:
      return {
        actor: agentKey,
        action: "action.submitted",
        target: { type: "action", id: OTHER_ACTION },
        data: {
          agent_id: AGENT,
          agent_slug: "billing-bot",
          tool: "email",
          operation: "send",
          payload_hash: "f".repeat(64),
        },
      };
    case 3:
      return {
        actor: agentKey,
        action: "action.submitted",
        target: { type: "action", id: ACTION },
        data: {
          agent_id: AGENT,
          agent_slug: "billing-bot",
          tool: "http_proxy",
          operation: "POST /payments",
          payload_hash: PAYLOAD_HASH,
        },
      };
    case 4:
      return {
        actor: system,
        action: "action.decided",
        target: { type: "action", id: ACTION },
        data: {
          effect: "require_approval",
          risk_level: "high",
          reason: "payments over 1000 need two approvers",
          policy_version: 3,
          rule: { index: 2, name: "large payments", condition: "params.amount > 1000" },
        },
      };
    case 5:
      return {
        actor: system,
        action: "action.decided",
        target: { type: "action", id: OTHER_ACTION },
        data: { effect: "allow", risk_level: "low", reason: "matched rule", policy_version: 3, rule: null },
      };
    case 6:
      return {
        actor: system,
        action: "approval.requested",
        target: { type: "approval_request", id: APPROVAL_REQUEST },
        data: { action_id: ACTION, quorum: 2, expires_at: "2026-05-01T12:00:00.000Z" },
      };
    case 10:
      return {
        actor: { type: "user", id: APPROVER_1 },
        action: "approval.approved",
        target: { type: "action", id: ACTION },
        data: {
          approval_id: APPROVAL_1,
          approver_id: APPROVER_1,
          decision: "approved",
          reason: "invoice checked",
          mfa: false,
        },
      };
    case 11:
      return {
        actor: { type: "user", id: APPROVER_2 },
        action: "approval.approved",
        target: { type: "action", id: ACTION },
        data: { approval_id: APPROVAL_2, approver_id: APPROVER_2, decision: "approved", reason: null, mfa: false },
      };
    case 15:
      return {
        actor: system,
        action: "action.executed",
        target: { type: "action", id: ACTION },
        data: { status: 201, duration_ms: 412 },
      };
    default:
      return {
        actor: { type: "user", id: APPROVER_1 },
        action: "member.role_changed",
        target: { type: "user", id: uuidFor(seq) },
        data: { from: "viewer", to: seq % 2 ? "auditor" : "approver" },
      };
  }
}

export function makeChain(
  length = TREE_SIZE,
  orgId = ORG,
  edit: (seq: number, spec: Spec) => Spec = (_, s) => s,
): PackEvent[] {
  const rows: PackEvent[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq++) {
    const spec = edit(seq, specFor(seq));
    const event: HashedEvent = {
      v: 1,
      id: uuidFor(seq),
      org_id: orgId,
      occurred_at: new Date(Date.UTC(2026, 3, 30, 12, 0, seq)).toISOString(),
      actor: spec.actor,
      action: spec.action,
      target: spec.target,
      ip: seq % 3 === 0 ? "203.0.113.7" : null,
      data: normaliseData(spec.data),
    };
    const hash = chainHash(prev, canonicalEvent(event));
    rows.push({ seq, prev_hash: prev, hash, event });
    prev = hash;
  }
  return rows;
}

export const ACTION_JSON = {
  id: ACTION,
  org_id: ORG,
  agent_id: AGENT,
  agent_slug: "billing-bot",
  tool: "http_proxy",
  operation: "POST /payments",
  payload_hash: PAYLOAD_HASH,
  params: { amount: 5000, to: "acct_123" },
  status: "executed",
  environment: "production",
  created_at: "2026-04-30T12:00:03.000Z",
};

export const DECISION_JSON = {
  effect: "require_approval",
  risk_level: "high",
  reason: "payments over 1000 need two approvers",
  policy_version: 3,
  rule: { index: 2, name: "large payments", condition: "params.amount > 1000" },
  decided_at: "2026-04-30T12:00:04.000Z",
};

export const APPROVALS_JSON = [
  {
    approval_id: APPROVAL_1,
    approver_id: APPROVER_1,
    decision: "approved",
    reason: "invoice checked",
    mfa: false,
    decided_at: "2026-04-30T12:00:10.000Z",
  },
  {
    approval_id: APPROVAL_2,
    approver_id: APPROVER_2,
    decision: "approved",
    reason: null,
    mfa: false,
    decided_at: "2026-04-30T12:00:11.000Z",
  },
];

export type Scenario = {
  chain: PackEvent[];
  tree: MerkleTree;
  keyring: SigningKeyring;
  keyId: string;
  checkpoint: SignedCheckpoint;
  input: ProofPackInput;
  files: Map<string, Uint8Array>;
};

export const CREATED_AT = new Date("2026-05-02T09:30:00.000Z");

/** The signed-note checkpoint of the fixture's tree, by every key of `ring` valid at `at`. */
export function noteFor(ring: SigningKeyring, tree: MerkleTree, at = new Date("2026-05-02T09:29:59.000Z")): string {
  return signCheckpointNoteAs(ring, ORIGIN, tree.size, tree.rootHex, at);
}

export function makeScenario(keyring?: SigningKeyring, edit?: (seq: number, spec: Spec) => Spec): Scenario {
  const ring =
    keyring ?? parseSigningKeyring(generateSigningKey({ validFrom: new Date("2026-01-01T00:00:00.000Z") }).spec);
  const chain = makeChain(TREE_SIZE, ORG, edit);
  const tree = MerkleTree.fromEventHashes(chain.map((r) => r.hash));
  const checkpoint = signCheckpoint(ring, {
    org_id: ORG,
    tree_size: tree.size,
    root_hash: tree.rootHex,
    timestamp: "2026-05-02T09:29:59.000Z",
  });
  const input: ProofPackInput = {
    orgId: ORG,
    actionId: ACTION,
    createdAt: CREATED_AT,
    action: ACTION_JSON,
    decision: DECISION_JSON,
    approvals: APPROVALS_JSON.map((a) => ({
      ...a,
      approval_id:
        (chain.find((r) => r.event.action.startsWith("approval.") && r.event.data.approver_id === a.approver_id)?.event
          .data.approval_id as string) ?? a.approval_id,
    })),
    events: chain.filter((r) => ACTION_SEQS.includes(r.seq)),
    checkpoint,
    checkpointNote: noteFor(ring, tree),
    proofs: { tree },
  };
  const files = new Map<string, Uint8Array>(buildProofPack(input, ring));
  return { chain, tree, keyring: ring, keyId: checkpoint.checkpoint.key_id, checkpoint, input, files };
}

// ------------------------------------------------------------ tampering tools

export const text = (files: ReadonlyMap<string, Uint8Array>, name: string): string =>
  Buffer.from(files.get(name)!).toString("utf8");

export function withFile(
  files: ReadonlyMap<string, Uint8Array>,
  name: string,
  content: string | Uint8Array,
): Map<string, Uint8Array> {
  const out = new Map(files);
  out.set(name, typeof content === "string" ? Buffer.from(content, "utf8") : content);
  return out;
}

export function withoutFile(files: ReadonlyMap<string, Uint8Array>, name: string): Map<string, Uint8Array> {
  const out = new Map(files);
  out.delete(name);
  return out;
}

export function editJson<T>(
  files: ReadonlyMap<string, Uint8Array>,
  name: string,
  edit: (value: T) => T,
): Map<string, Uint8Array> {
  return withFile(files, name, `${JSON.stringify(edit(JSON.parse(text(files, name)) as T), null, 2)}\n`);
}

export function eventLines(files: ReadonlyMap<string, Uint8Array>): string[] {
  return text(files, "events.jsonl").split("\n").filter(Boolean);
}

export function withEventLines(
  files: ReadonlyMap<string, Uint8Array>,
  lines: readonly string[],
): Map<string, Uint8Array> {
  return withFile(files, "events.jsonl", lines.map((l) => `${l}\n`).join(""));
}

/** What a tamperer without the key can do: make manifest.json list the new hashes (manifest.sig is left as it was). */
export function rehashManifest(files: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array> {
  const manifest = JSON.parse(text(files, "manifest.json")) as { files: Record<string, string> };
  for (const name of CONTENT_FILES) {
    const bytes = files.get(name);
    if (bytes) manifest.files[name] = createHash("sha256").update(bytes).digest("hex");
  }
  return withFile(files, "manifest.json", `${canonicalize(manifest)}\n`);
}

/** What a key holder can do: rehash and re-sign the manifest with `keyring`'s key `keyId`. */
export function resignManifest(
  files: ReadonlyMap<string, Uint8Array>,
  keyring: SigningKeyring,
  keyId: string,
  manifestKeyId = keyId,
) {
  const key = keyring.keys.find((k) => k.keyId === keyId)!;
  const rehashed = rehashManifest(files);
  const manifest = JSON.parse(text(rehashed, "manifest.json")) as Record<string, unknown>;
  manifest.key_id = manifestKeyId;
  const bytes = Buffer.from(`${canonicalize(manifest)}\n`, "utf8");
  const signature = signWithKey(key, MANIFEST_SIGNING_CONTEXT, bytes);
  const out = withFile(rehashed, "manifest.json", bytes);
  return withFile(
    out,
    "manifest.sig",
    `${JSON.stringify({ alg: "Ed25519", key_id: manifestKeyId, signature }, null, 2)}\n`,
  );
}
