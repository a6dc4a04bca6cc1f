export declare const PACK_FORMAT: "warden.proof-pack";
export declare const PACK_VERSION: 2;
export declare const SUPPORTED_PACK_VERSIONS: readonly (1 | 2)[];
export declare function contentFilesOf(version: number): readonly ContentFileName[];
export declare const MANIFEST_FILE: "manifest.json";
export declare const SIGNATURE_FILE: "manifest.sig";
export declare const CONTENT_FILES: readonly ContentFileName[];
export declare const PACK_FILES: readonly PackFileName[];
export declare const MANIFEST_SIGNING_CONTEXT: string;
export declare const CHECKPOINT_SIGNING_CONTEXT: string;
export declare const GENESIS_HASH: string;

export type ContentFileName =
  | "action.json"
  | "decision.json"
  | "approvals.json"
  | "events.jsonl"
  | "proofs.json"
  | "checkpoint.json"
  | "checkpoint.note"
  | "checkpoint.vkey"
  | "public-key.pem"
  | "verify.mjs"
  | "README.txt";
export type PackFileName = "manifest.json" | "manifest.sig" | ContentFileName;

export type ProblemCode =
  | "file_unexpected"
  | "file_missing"
  | "file_malformed"
  | "file_not_regular"
  | "file_too_large"
  | "file_hash_mismatch"
  | "zip_invalid"
  | "zip_too_large"
  | "zip_duplicate_entry"
  | "manifest_malformed"
  | "manifest_unsupported"
  | "manifest_incomplete"
  | "manifest_unexpected_entry"
  | "manifest_signature_malformed"
  | "manifest_signature_invalid"
  | "public_key_invalid"
  | "expected_key_invalid"
  | "expected_key_mismatch"
  | "key_id_mismatch"
  | "checkpoint_malformed"
  | "checkpoint_signature_invalid"
  | "checkpoint_too_small"
  | "note_key_invalid"
  | "note_signature_invalid"
  | "note_malformed"
  | "note_mismatch"
  | "org_mismatch"
  | "events_truncated"
  | "events_empty"
  | "event_malformed"
  | "event_not_canonical"
  | "event_hash_mismatch"
  | "event_duplicate"
  | "event_out_of_order"
  | "event_link_broken"
  | "event_org_mismatch"
  | "event_foreign"
  | "proofs_malformed"
  | "proof_tree_size_mismatch"
  | "proof_duplicate"
  | "proof_index_mismatch"
  | "proof_missing"
  | "proof_without_event"
  | "inclusion_proof_invalid"
  | "action_malformed"
  | "action_mismatch"
  | "decision_malformed"
  | "approvals_malformed"
  | "binding_missing"
  | "binding_duplicate"
  | "binding_mismatch";

export type Problem = {
  code: ProblemCode;
  message: string;
  file?: string;
  line?: number;
  seq?: number;
  field?: string;
};

export type PackSummary = {
  org_id: string | null;
  action_id: string | null;
  tool: string | null;
  operation: string | null;
  effect: string | null;
  policy_version: unknown;
  approvals: number | null;
  /** Approvals whose passkey assertion over the payload hash verified. */
  approvals_with_passkey_proof: number | null;
  events: number[];
  tree_size: number | null;
  root_hash: string | null;
  checkpoint_time: string | null;
  key_id: string | null;
  fingerprint: string | null;
  created_at: string | null;
  expected_key: string | null;
  version: number | null;
  log_origin: string | null;
  verifier_key: string | null;
};

export type PackVerification = { ok: boolean; problems: Problem[]; summary: PackSummary };

export declare function canonicalJson(value: unknown): string;
export declare function sha256Hex(bytes: Uint8Array): string;
export declare function chainHash(prevHashHex: string, event: unknown): string;
export declare function eventLeafHash(eventHashHex: string): Buffer;
export declare function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
): Buffer | null;
export declare function publicKeyFingerprint(publicKey: import("node:crypto").KeyObject): string;
export declare function keyIdOf(fingerprint: string): string;
export declare function verifyProofPack(
  files: ReadonlyMap<string, Uint8Array>,
  options?: { expectKey?: string | null },
): PackVerification;
export declare function formatReport(result: PackVerification): string;
export declare function readPackDirectory(dir: string): { files: Map<string, Uint8Array>; problems: Problem[] };
export declare function withReadProblems(result: PackVerification, readProblems: readonly Problem[]): PackVerification;
export declare function main(
  argv: readonly string[],
  out?: { write(s: string): unknown },
  err?: { write(s: string): unknown },
): number;

export declare function verifyConsistencyProof(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean;

export type NoteVerifierKey = { name: string; keyHash: string; publicKey: import("node:crypto").KeyObject };
export declare function parseNoteVerifierKey(vkey: string): NoteVerifierKey | null;
export declare function verifyNote(
  note: string | Uint8Array,
  verifierKeys: readonly (string | NoteVerifierKey)[],
): { ok: true; text: string; signers: string[] } | { ok: false; reason: string };
export declare function parseCheckpointNote(
  text: string,
): { origin: string; treeSize: number; rootHash: string; extensions: string[] } | null;

/** The WebAuthn challenge of a step-up for this operation (base64url). */
export declare function stepUpChallenge(
  purpose: string,
  targetId: string | null,
  payloadHash: string | null,
  nonce: string,
): string;
/** Checks a passkey assertion offline; null when it holds, else what is wrong. */
export declare function verifyPasskeyAssertion(
  evidence: unknown,
  expected: { purpose: string; targetId: string; payloadHash: string },
): string | null;
