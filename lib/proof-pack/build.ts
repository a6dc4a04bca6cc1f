import { zipSync, type Zippable } from "fflate";
import { z } from "zod";
import {
  findKey,
  isKeyValidAt,
  signWithKey,
  verifyCheckpoint,
  type SignedCheckpoint,
  type SigningKeyring,
} from "../audit/checkpoint";
import type { HashedEvent } from "../audit/event";
import { eventLine } from "../audit/event-row";
import { MerkleTree } from "../audit/merkle";
import { isValidNoteKeyName, noteVerifierKey } from "../audit/signed-note";
import { AppError } from "../errors";
import { canonicalJson } from "../json";
import { renderReadme } from "./readme";
import { VERIFY_MJS_SOURCE } from "./verifier-source";
import {
  CONTENT_FILES,
  MANIFEST_FILE,
  MANIFEST_SIGNING_CONTEXT,
  PACK_FILES,
  PACK_FORMAT,
  PACK_VERSION,
  SIGNATURE_FILE,
  parseCheckpointNote,
  publicKeyFingerprint,
  sha256Hex,
  verifyProofPack,
  type PackFileName,
} from "./verify.mjs";

/**
 * Builds the proof pack of one action (format: docs/proof-pack-format.md).
 * Pure: the caller reads the action, its decision, approvals and audit events
 * from the database and passes a checkpoint signed by a key of `keyring` that
 * can still sign, because the same key signs the manifest and the pack
 * carries one public key.
 */

const HEX64 = /^[0-9a-f]{64}$/;
const hex64 = z.string().regex(HEX64, "must be 64 lowercase hex characters");
const jsonObject = z.record(z.string(), z.json());

const inputSchema = z.object({
  orgId: z.uuid(),
  actionId: z.string().min(1),
  createdAt: z.date().optional(),
  action: jsonObject,
  decision: jsonObject,
  approvals: z.array(jsonObject),
  events: z
    .array(
      z.object({
        seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
        prev_hash: hex64,
        hash: hex64,
        event: jsonObject,
      }),
    )
    .min(1),
  checkpoint: z.unknown(),
  checkpointNote: z.string().min(1).max(16_384),
  proofs: z.union([
    z.object({ tree: z.custom<MerkleTree>((v) => v instanceof MerkleTree, "must be a MerkleTree") }),
    z.object({
      inclusionProofs: z.array(z.object({ seq: z.number().int().min(1), audit_path: z.array(hex64) })),
    }),
  ]),
});

export type PackEvent = { seq: number; prev_hash: string; hash: string; event: HashedEvent };

/** The audit path of the event with this seq in the checkpoint's tree, deepest sibling first. */
export type InclusionProofInput = { seq: number; audit_path: readonly string[] };

export type ProofPackInput = {
  orgId: string;
  actionId: string;
  /** Defaults to now; also the manifest signing time. */
  createdAt?: Date;
  /** The action as recorded: at least id, tool, operation, payload_hash. */
  action: Record<string, unknown>;
  /** At least effect, risk_level, reason, policy_version, rule. */
  decision: Record<string, unknown>;
  /** Each { approval_id, approver_id, decision, reason, mfa, decided_at }. */
  approvals: readonly Record<string, unknown>[];
  /** Every audit event about the action, any order. */
  events: readonly PackEvent[];
  /** A checkpoint whose tree contains every event (tree_size ≥ largest seq). */
  checkpoint: SignedCheckpoint;
  /**
   * The same tree head as a C2SP signed note (its stored `note`), signed by
   * at least the checkpoint's key under the organization's log origin.
   */
  checkpointNote: string;
  /**
   * Either the organization's Merkle tree at exactly the checkpoint's size
   * (the builder derives the proofs and checks its root against the
   * checkpoint), or proofs computed elsewhere.
   */
  proofs: { tree: MerkleTree } | { inclusionProofs: readonly InclusionProofInput[] };
};

export type ProofPackFiles = ReadonlyMap<PackFileName, Uint8Array>;

function fieldErrors(issues: readonly z.core.$ZodIssue[]) {
  return issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

/** Two-space JSON with keys in canonical order, for the files people open. */
function prettyJson(value: unknown): Uint8Array {
  return Buffer.from(`${JSON.stringify(JSON.parse(canonicalJson(value)), null, 2)}\n`, "utf8");
}

export function buildProofPack(input: ProofPackInput, keyring: SigningKeyring): ProofPackFiles {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success)
    throw new AppError("validation_failed", "Invalid proof pack input", { errors: fieldErrors(parsed.error.issues) });
  const createdAt = (input.createdAt ?? new Date()).toISOString();

  const claimed = input.checkpoint?.checkpoint?.key_id;
  const key = typeof claimed === "string" ? findKey(keyring, claimed) : undefined;
  if (!key) {
    throw new AppError("internal", "The checkpoint was not signed by a key of this keyring", {
      cause: `key ${String(claimed)}`,
    });
  }
  const checked = verifyCheckpoint(input.checkpoint, key.publicKeyPem);
  if (!checked.ok) throw new AppError("internal", "The checkpoint does not verify", { cause: checked.message });
  const checkpoint = checked.checkpoint;
  if (!key.privateKey || !isKeyValidAt(key, new Date(createdAt))) {
    // The manifest must be signed by the checkpoint's key: a pack carries one
    // public key. After a rotation, sign a fresh checkpoint with the new key.
    throw new AppError(
      "internal",
      "The checkpoint's key can no longer sign; sign a fresh checkpoint with the current key",
      {
        cause: `key ${key.keyId} is retired or outside its validity window at ${createdAt}`,
      },
    );
  }
  if (checkpoint.org_id !== input.orgId) {
    throw new AppError("validation_failed", "The checkpoint is for another organization");
  }

  const events = [...parsed.data.events].sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.seq === events[i - 1]!.seq) {
      throw new AppError("validation_failed", `Event seq ${events[i]!.seq} is given twice`);
    }
  }
  const last = events[events.length - 1]!.seq;
  if (last > checkpoint.tree_size) {
    throw new AppError(
      "validation_failed",
      `The checkpoint (tree size ${checkpoint.tree_size}) does not cover event seq ${last}`,
    );
  }

  let auditPaths: Map<number, readonly string[]>;
  if ("tree" in input.proofs) {
    const tree = input.proofs.tree;
    if (tree.size !== checkpoint.tree_size || tree.rootHex !== checkpoint.root_hash) {
      throw new AppError("conflict", "The checkpoint does not match the audit log's Merkle tree", {
        cause: `tree size ${tree.size} root ${tree.rootHex} vs checkpoint ${checkpoint.tree_size} ${checkpoint.root_hash}`,
      });
    }
    auditPaths = new Map(events.map((e) => [e.seq, tree.inclusionProof(e.seq - 1).map((h) => h.toString("hex"))]));
  } else {
    auditPaths = new Map(input.proofs.inclusionProofs.map((p) => [p.seq, p.audit_path]));
  }

  const proofs = events.map((e) => {
    const path = auditPaths.get(e.seq);
    if (!path) throw new AppError("validation_failed", `No inclusion proof was given for event seq ${e.seq}`);
    return { seq: e.seq, leaf_index: e.seq - 1, audit_path: [...path] };
  });

  // The note's origin names the log; the pack carries the verifier key of its
  // own key under that origin (the note may carry more signatures during a
  // rotation). verifyProofPack below checks the note against both.
  const noteText = input.checkpointNote.slice(0, input.checkpointNote.lastIndexOf("\n\n") + 1);
  const origin = parseCheckpointNote(noteText)?.origin;
  if (!origin || !isValidNoteKeyName(origin)) {
    throw new AppError("internal", "The checkpoint's signed note is malformed", { cause: noteText.slice(0, 200) });
  }
  const verifierKey = noteVerifierKey(origin, key.publicKey);

  const fingerprint = publicKeyFingerprint(key.publicKey);
  const content: Record<(typeof CONTENT_FILES)[number], Uint8Array> = {
    "action.json": prettyJson(input.action),
    "decision.json": prettyJson(input.decision),
    "approvals.json": prettyJson(input.approvals),
    "events.jsonl": Buffer.from(events.map(eventLine).join(""), "utf8"),
    "proofs.json": prettyJson({ tree_size: checkpoint.tree_size, proofs }),
    "checkpoint.json": prettyJson({ checkpoint, signature: input.checkpoint.signature }),
    "checkpoint.note": Buffer.from(input.checkpointNote, "utf8"),
    "checkpoint.vkey": Buffer.from(`${verifierKey}\n`, "utf8"),
    "public-key.pem": Buffer.from(key.publicKeyPem, "utf8"),
    "verify.mjs": Buffer.from(VERIFY_MJS_SOURCE, "utf8"),
    "README.txt": Buffer.from(
      renderReadme({
        orgId: input.orgId,
        actionId: input.actionId,
        createdAt,
        keyId: key.keyId,
        fingerprint,
        treeSize: checkpoint.tree_size,
        checkpointTime: checkpoint.timestamp,
        eventCount: events.length,
        verifierKey,
      }),
      "utf8",
    ),
  };

  const manifest = {
    format: PACK_FORMAT,
    version: PACK_VERSION,
    org_id: input.orgId,
    action_id: input.actionId,
    created_at: createdAt,
    key_id: key.keyId,
    files: Object.fromEntries(CONTENT_FILES.map((name) => [name, sha256Hex(content[name])])),
  };
  const manifestBytes = Buffer.from(`${canonicalJson(manifest)}\n`, "utf8");
  const signature = signWithKey(key, MANIFEST_SIGNING_CONTEXT, manifestBytes);

  const files = new Map<PackFileName, Uint8Array>([
    [MANIFEST_FILE, manifestBytes],
    [SIGNATURE_FILE, prettyJson({ alg: "Ed25519", key_id: key.keyId, signature })],
    ...CONTENT_FILES.map((name) => [name, content[name]] as [PackFileName, Uint8Array]),
  ]);

  // Refuse to hand an auditor a pack that does not verify: a broken chain, a
  // proof for the wrong tree or an event that breaks the event contracts is
  // caught here, at export, with the verifier's own words.
  const result = verifyProofPack(files);
  if (!result.ok) {
    throw new AppError("conflict", "The audit records for this action do not verify, so no proof pack was produced", {
      errors: result.problems.map((p) => ({ path: p.file ?? "", message: p.message })),
    });
  }
  return files;
}

/**
 * The pack as a zip: the fixed file names at the top level in a fixed order,
 * every entry dated at the pack's creation time, so the same pack always
 * zips to the same bytes.
 */
export function zipProofPack(files: ProofPackFiles): Uint8Array {
  const names = [...files.keys()];
  const unknown = names.filter((n) => !PACK_FILES.includes(n));
  const missing = PACK_FILES.filter((n) => !files.has(n));
  if (unknown.length > 0 || missing.length > 0) {
    throw new AppError("internal", "Not a complete proof pack", { cause: { unknown, missing } });
  }
  const manifest = JSON.parse(Buffer.from(files.get(MANIFEST_FILE)!).toString("utf8")) as { created_at: string };
  const created = new Date(manifest.created_at);
  // fflate writes DOS times from the local-time getters; rebuilding the UTC
  // fields as a local date stamps entries with the UTC creation time whatever
  // the server's time zone.
  const mtime = new Date(
    created.getUTCFullYear(),
    created.getUTCMonth(),
    created.getUTCDate(),
    created.getUTCHours(),
    created.getUTCMinutes(),
    created.getUTCSeconds(),
  );
  const entries: Zippable = {};
  for (const name of PACK_FILES) entries[name] = [files.get(name)!, { mtime }];
  return zipSync(entries, { level: 9 });
}
