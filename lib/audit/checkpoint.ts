import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import { z } from "zod";
import { AppError, type FieldError } from "../errors";
import { canonicalJson } from "../json";

/**
 * Signed checkpoints: an Ed25519 signature over (organization, tree size,
 * Merkle root, time, key id). A checkpoint is what a proof pack's inclusion
 * proofs lead to, and two checkpoints of one organization are linked by a
 * consistency proof.
 *
 * Signed bytes = UTF-8 "warden.checkpoint.v1\n" ‖ RFC 8785 canonical JSON of
 * the checkpoint. The context line keeps a checkpoint signature from being
 * replayed as a signature over any other message the same key signs (a proof
 * pack manifest).
 */

export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_SIGNING_CONTEXT = "warden.checkpoint.v1\n";

export type Checkpoint = {
  v: 1;
  org_id: string;
  tree_size: number;
  root_hash: string;
  timestamp: string;
  key_id: string;
};

/** `signature` is the base64 Ed25519 signature of checkpointSigningBytes(checkpoint). */
export type SignedCheckpoint = { checkpoint: Checkpoint; signature: string };

export type SigningKey = {
  keyId: string;
  publicKeyPem: string;
  publicKey: KeyObject;
  /** Null for a retired key kept only to verify what it signed. */
  privateKey: KeyObject | null;
  validFrom: Date;
  validUntil: Date | null;
};

export type SigningKeyring = { readonly keys: readonly SigningKey[] };

const HEX64 = /^[0-9a-f]{64}$/;
const KEY_ID = /^[0-9a-f]{16}$/;

/** An ISO 8601 UTC time exactly as Date.prototype.toISOString writes it, so one instant has one spelling. */
const isoTimestamp = z.string().refine((s) => {
  const d = new Date(s);
  return !Number.isNaN(d.getTime()) && d.toISOString() === s;
}, "must be an ISO 8601 UTC timestamp as written by toISOString (e.g. 2026-01-01T00:00:00.000Z)");

export const checkpointSchema = z.strictObject({
  v: z.literal(CHECKPOINT_VERSION),
  org_id: z.uuid(),
  tree_size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  root_hash: z.string().regex(HEX64, "must be 64 lowercase hex characters"),
  timestamp: isoTimestamp,
  key_id: z.string().regex(KEY_ID, "must be 16 lowercase hex characters"),
});

export const signedCheckpointSchema = z.strictObject({
  checkpoint: checkpointSchema,
  signature: z.base64(),
});

function spkiDer(key: KeyObject): Buffer {
  return key.export({ type: "spki", format: "der" });
}

/** SHA-256 of the SubjectPublicKeyInfo DER, hex: the key's full fingerprint. */
export function publicKeyFingerprint(publicKey: KeyObject | string): string {
  const key = typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey;
  return createHash("sha256").update(spkiDer(key)).digest("hex");
}

/**
 * The first 16 hex characters of the fingerprint. Derived, never chosen, so a
 * public key swapped under an old id no longer matches it.
 */
export function keyIdFromPublicKey(publicKey: KeyObject | string): string {
  return publicKeyFingerprint(publicKey).slice(0, 16);
}

function toPem(key: KeyObject): string {
  return key.export({ type: "spki", format: "pem" }).toString();
}

export type GeneratedSigningKey = {
  keyId: string;
  publicKeyPem: string;
  privateKeyPem: string;
  validFrom: string;
  /** The compact keyring entry for this key (see parseSigningKeyring). */
  spec: string;
};

/** A fresh Ed25519 key, with its keyring entry ready to be stored as a secret. */
export function generateSigningKey(opts: { validFrom?: Date } = {}): GeneratedSigningKey {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const validFrom = (opts.validFrom ?? new Date()).toISOString();
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "der" }).toString("base64");
  return {
    keyId: keyIdFromPublicKey(publicKey),
    publicKeyPem: toPem(publicKey),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    validFrom,
    spec: `sk:${pkcs8}@${validFrom}`,
  };
}

const keyEntrySchema = z
  .strictObject({
    key_id: z.string().regex(KEY_ID, "must be 16 lowercase hex characters").optional(),
    public_key: z.string().min(1).optional(),
    private_key: z.string().min(1).optional(),
    valid_from: z.iso.datetime({ offset: true }),
    valid_until: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((k) => k.public_key !== undefined || k.private_key !== undefined, {
    message: "give public_key, private_key or both",
  });

type KeyEntry = z.infer<typeof keyEntrySchema>;

const keyringJsonSchema = z.union([
  z.strictObject({ keys: z.array(keyEntrySchema).min(1) }),
  z.array(keyEntrySchema).min(1),
]);

function invalidKeyring(errors: FieldError[]): AppError {
  return new AppError("validation_failed", "The audit signing keyring is invalid", { errors });
}

/**
 * Compact entry: `sk:<base64 PKCS#8 DER>@<valid_from>[/<valid_until>]` for a
 * key that signs, `pk:<base64 SPKI DER>@<valid_from>[/<valid_until>]` for a
 * retired key kept to verify. Entries are separated by `;`, commas or
 * whitespace; base64 and ISO 8601 times contain none of them.
 */
function parseCompactEntry(entry: string, index: number): KeyEntry {
  const m = /^(sk|pk):([A-Za-z0-9+/]+={0,2})@([^/]+)(?:\/(.+))?$/.exec(entry);
  if (!m) {
    throw invalidKeyring([
      {
        path: `keys[${index}]`,
        message: "expected sk:<base64 PKCS#8 DER>@<valid_from>[/<valid_until>] or pk:<base64 SPKI DER>@…",
      },
    ]);
  }
  const [, kind, b64, validFrom, validUntil] = m;
  const der = Buffer.from(b64!, "base64");
  const pem = createPemFromDer(der, kind === "sk" ? "PRIVATE KEY" : "PUBLIC KEY");
  return {
    ...(kind === "sk" ? { private_key: pem } : { public_key: pem }),
    valid_from: validFrom!,
    ...(validUntil !== undefined ? { valid_until: validUntil } : {}),
  };
}

function createPemFromDer(der: Buffer, label: string): string {
  const body = der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

function parseKey(make: () => KeyObject, path: string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = make();
  } catch {
    throw invalidKeyring([{ path, message: `${what} does not parse` }]);
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw invalidKeyring([{ path, message: `${what} is a ${key.asymmetricKeyType ?? "symmetric"} key, not Ed25519` }]);
  }
  return key;
}

function loadEntry(entry: KeyEntry, index: number): SigningKey {
  const path = `keys[${index}]`;
  // createPublicKey would quietly derive a public key from private material;
  // a private key in the public slot is a leak to report, not to accept.
  if (entry.public_key?.includes("PRIVATE KEY")) {
    throw invalidKeyring([{ path: `${path}.public_key`, message: "public_key holds a private key" }]);
  }
  const privateKey =
    entry.private_key !== undefined
      ? parseKey(() => createPrivateKey(entry.private_key!), `${path}.private_key`, "private_key")
      : null;
  const derived = privateKey ? createPublicKey(privateKey) : null;
  const publicKey =
    entry.public_key !== undefined
      ? parseKey(() => createPublicKey(entry.public_key!), `${path}.public_key`, "public_key")
      : derived!;
  if (derived && !spkiDer(derived).equals(spkiDer(publicKey))) {
    throw invalidKeyring([{ path: `${path}.public_key`, message: "public_key is not the public half of private_key" }]);
  }
  const keyId = keyIdFromPublicKey(publicKey);
  if (entry.key_id !== undefined && entry.key_id !== keyId) {
    throw invalidKeyring([
      { path: `${path}.key_id`, message: `key_id ${entry.key_id} does not match the public key (its id is ${keyId})` },
    ]);
  }
  const validFrom = new Date(entry.valid_from);
  const validUntil = entry.valid_until !== undefined ? new Date(entry.valid_until) : null;
  if (validUntil && validUntil.getTime() <= validFrom.getTime()) {
    throw invalidKeyring([{ path: `${path}.valid_until`, message: "valid_until must be after valid_from" }]);
  }
  return { keyId, publicKeyPem: toPem(publicKey), publicKey, privateKey, validFrom, validUntil };
}

/**
 * Reads the keyring from one configuration string, in either form:
 *
 * - JSON: `{"keys":[{"private_key":"<PKCS#8 PEM>","valid_from":"…"},
 *   {"public_key":"<SPKI PEM>","key_id":"…","valid_from":"…","valid_until":"…"}]}`
 *   (or just the array). `key_id` is optional and checked when given;
 *   `public_key` is optional when `private_key` is given and checked against it.
 * - Compact, for an environment variable: entries
 *   `sk:<base64 PKCS#8 DER>@<valid_from>[/<valid_until>]` or
 *   `pk:<base64 SPKI DER>@<valid_from>[/<valid_until>]` separated by `;`.
 *
 * Only Ed25519 keys are accepted; key ids must be unique.
 */
export function parseSigningKeyring(spec: string): SigningKeyring {
  const text = spec.trim();
  let entries: KeyEntry[];
  if (text.startsWith("{") || text.startsWith("[")) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw invalidKeyring([{ path: "", message: "not valid JSON" }]);
    }
    const parsed = keyringJsonSchema.safeParse(json);
    if (!parsed.success) {
      throw invalidKeyring(
        parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
      );
    }
    entries = Array.isArray(parsed.data) ? parsed.data : parsed.data.keys;
  } else {
    const parts = text.split(/[;,\s]+/).filter(Boolean);
    if (parts.length === 0) throw invalidKeyring([{ path: "", message: "no keys" }]);
    entries = parts.map(parseCompactEntry).map((e, i) => {
      const checked = keyEntrySchema.safeParse(e);
      if (!checked.success) {
        throw invalidKeyring(
          checked.error.issues.map((iss) => ({
            path: [`keys[${i}]`, ...iss.path.map(String)].join("."),
            message: iss.message,
          })),
        );
      }
      return checked.data;
    });
  }
  const keys = entries.map(loadEntry);
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k.keyId)) throw invalidKeyring([{ path: `keys[${i}]`, message: `key ${k.keyId} appears twice` }]);
    seen.add(k.keyId);
  });
  return { keys };
}

/** A keyring as JSON (public halves and validity only: safe to publish). */
export function formatPublicKeyring(keyring: SigningKeyring): string {
  return JSON.stringify(
    {
      keys: keyring.keys.map((k) => ({
        key_id: k.keyId,
        public_key: k.publicKeyPem,
        valid_from: k.validFrom.toISOString(),
        ...(k.validUntil ? { valid_until: k.validUntil.toISOString() } : {}),
      })),
    },
    null,
    2,
  );
}

export function isKeyValidAt(key: SigningKey, at: Date): boolean {
  const t = at.getTime();
  return key.validFrom.getTime() <= t && (key.validUntil === null || t < key.validUntil.getTime());
}

/**
 * The key that signs at `at`: among keys with a private half valid at that
 * time, the one that became valid last (during a rotation overlap the new key
 * takes over as soon as it is valid).
 */
export function selectSigningKey(
  keyring: SigningKeyring,
  at: Date = new Date(),
): SigningKey & { privateKey: KeyObject } {
  const usable = keyring.keys
    .filter((k): k is SigningKey & { privateKey: KeyObject } => k.privateKey !== null && isKeyValidAt(k, at))
    .sort((a, b) => b.validFrom.getTime() - a.validFrom.getTime() || a.keyId.localeCompare(b.keyId));
  const key = usable[0];
  if (!key)
    throw new AppError("internal", "No audit signing key is valid now", {
      cause: `no signing key valid at ${at.toISOString()}`,
    });
  return key;
}

export function findKey(keyring: SigningKeyring, keyId: string): SigningKey | undefined {
  return keyring.keys.find((k) => k.keyId === keyId);
}

/** Base64 Ed25519 signature of `context ‖ message`. */
export function signWithKey(key: SigningKey, context: string, message: Uint8Array): string {
  if (!key.privateKey)
    throw new AppError("internal", "This audit key can no longer sign", { cause: `key ${key.keyId} is retired` });
  return sign(null, Buffer.concat([Buffer.from(context, "utf8"), message]), key.privateKey).toString("base64");
}

export function checkpointSigningBytes(checkpoint: Checkpoint): Buffer {
  return Buffer.from(CHECKPOINT_SIGNING_CONTEXT + canonicalJson(checkpoint), "utf8");
}

const checkpointFieldsSchema = z.strictObject({
  org_id: checkpointSchema.shape.org_id,
  tree_size: checkpointSchema.shape.tree_size,
  root_hash: checkpointSchema.shape.root_hash,
  timestamp: isoTimestamp.optional(),
});

export type CheckpointFields = z.input<typeof checkpointFieldsSchema>;

/**
 * Signs a checkpoint with the key valid at its timestamp (now by default), or
 * with `opts.keyId` when given (it must still be able to sign and be valid then).
 */
export function signCheckpoint(
  keyring: SigningKeyring,
  fields: CheckpointFields,
  opts: { keyId?: string } = {},
): SignedCheckpoint {
  const parsed = checkpointFieldsSchema.safeParse(fields);
  if (!parsed.success) {
    throw new AppError("validation_failed", "Invalid checkpoint", {
      errors: parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
    });
  }
  const timestamp = parsed.data.timestamp ?? new Date().toISOString();
  const at = new Date(timestamp);
  let key: SigningKey;
  if (opts.keyId !== undefined) {
    const found = findKey(keyring, opts.keyId);
    if (!found || !found.privateKey || !isKeyValidAt(found, at)) {
      throw new AppError("internal", "The requested audit key cannot sign now", {
        cause: `key ${opts.keyId} is unknown, retired or not valid at ${timestamp}`,
      });
    }
    key = found;
  } else {
    key = selectSigningKey(keyring, at);
  }
  const checkpoint: Checkpoint = {
    v: CHECKPOINT_VERSION,
    org_id: parsed.data.org_id,
    tree_size: parsed.data.tree_size,
    root_hash: parsed.data.root_hash,
    timestamp,
    key_id: key.keyId,
  };
  return { checkpoint, signature: sign(null, checkpointSigningBytes(checkpoint), key.privateKey!).toString("base64") };
}

export type CheckpointFailure =
  | "malformed"
  | "invalid_public_key"
  | "key_id_mismatch"
  | "bad_signature"
  | "unknown_key"
  | "key_not_valid_at_timestamp";

export type CheckpointVerification =
  | { ok: true; checkpoint: Checkpoint; keyId: string; fingerprint: string }
  | { ok: false; reason: CheckpointFailure; message: string };

/**
 * Checks a signed checkpoint against one public key, in order: shape, the
 * key (Ed25519, and its derived id equals the checkpoint's key_id), then the
 * signature. The first failure is returned with its reason.
 */
export function verifyCheckpoint(signed: unknown, publicKeyPem: string): CheckpointVerification {
  const parsed = signedCheckpointSchema.safeParse(signed);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.map(String).join(".");
    return { ok: false, reason: "malformed", message: `checkpoint ${where ? `${where}: ` : ""}${issue.message}` };
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(publicKeyPem);
  } catch {
    return { ok: false, reason: "invalid_public_key", message: "the public key is not a PEM public key" };
  }
  if (publicKey.asymmetricKeyType !== "ed25519") {
    return {
      ok: false,
      reason: "invalid_public_key",
      message: `the public key is ${publicKey.asymmetricKeyType}, not Ed25519`,
    };
  }
  const fingerprint = publicKeyFingerprint(publicKey);
  const keyId = fingerprint.slice(0, 16);
  const { checkpoint, signature } = parsed.data;
  if (checkpoint.key_id !== keyId) {
    return {
      ok: false,
      reason: "key_id_mismatch",
      message: `checkpoint names key ${checkpoint.key_id} but the public key's id is ${keyId}`,
    };
  }
  const good = verify(null, checkpointSigningBytes(checkpoint), publicKey, Buffer.from(signature, "base64"));
  if (!good)
    return { ok: false, reason: "bad_signature", message: `checkpoint signature does not verify with key ${keyId}` };
  return { ok: true, checkpoint, keyId, fingerprint };
}

/**
 * Like verifyCheckpoint, with the key looked up by id in a keyring and the
 * checkpoint's timestamp required to fall inside that key's validity window.
 */
export function verifyCheckpointWithKeyring(signed: unknown, keyring: SigningKeyring): CheckpointVerification {
  const parsed = signedCheckpointSchema.safeParse(signed);
  if (!parsed.success) return verifyCheckpoint(signed, "");
  const key = findKey(keyring, parsed.data.checkpoint.key_id);
  if (!key) {
    return {
      ok: false,
      reason: "unknown_key",
      message: `checkpoint key ${parsed.data.checkpoint.key_id} is not in the keyring`,
    };
  }
  const result = verifyCheckpoint(signed, key.publicKeyPem);
  if (!result.ok) return result;
  if (!isKeyValidAt(key, new Date(result.checkpoint.timestamp))) {
    return {
      ok: false,
      reason: "key_not_valid_at_timestamp",
      message: `key ${key.keyId} was not valid at ${result.checkpoint.timestamp}`,
    };
  }
  return result;
}
