import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { AppError } from "../errors";

/**
 * AES-256-GCM with key ids, so keys can rotate: new data is encrypted under
 * the active key, and every key still in the ring decrypts what it encrypted.
 *
 * Envelope: `v1.<kid>.<iv>.<ciphertext‖tag>` (base64url, 12-byte IV, 16-byte
 * tag). The version and kid are authenticated together with the caller's AAD,
 * so an envelope cannot be relabelled to another key or format, and data bound
 * to one action id (the AAD) does not decrypt as another's.
 */

export type KeyringErrorReason = "invalid_keyring" | "malformed_envelope" | "unknown_key" | "authentication_failed";

/** Always a server-side fault (code `internal`); `reason` says which. */
export class KeyringError extends AppError {
  readonly reason: KeyringErrorReason;
  constructor(reason: KeyringErrorReason, message: string, cause?: unknown) {
    super("internal", message, { cause });
    this.name = "KeyringError";
    this.reason = reason;
  }
}

export type Keyring = {
  readonly activeKid: string;
  readonly keys: ReadonlyMap<string, Buffer>;
};

const VERSION = "v1";
const KID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A new random key, in the base64 form parseKeyring reads. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString("base64");
}

function decodeKey(kid: string, material: string): Buffer {
  // Buffer.from(…, "base64") silently skips bad characters, so the format is
  // checked first: a typo in a key must not yield a different key.
  const s = material.trim();
  const std = s.replace(/-/g, "+").replace(/_/g, "/");
  const padded = std + "=".repeat((4 - (std.length % 4)) % 4);
  if (!B64_RE.test(padded)) throw new KeyringError("invalid_keyring", `Key "${kid}" is not valid base64`);
  const key = Buffer.from(padded, "base64");
  if (key.length !== KEY_BYTES) {
    throw new KeyringError("invalid_keyring", `Key "${kid}" must be ${KEY_BYTES} bytes, got ${key.length}`);
  }
  return key;
}

/**
 * Reads `kid:base64key,kid:base64key…`. The first key is active unless
 * `activeKid` names another one. Key ids are 1–64 of [A-Za-z0-9_-].
 */
export function parseKeyring(spec: string, activeKid?: string): Keyring {
  const keys = new Map<string, Buffer>();
  const entries = spec
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (entries.length === 0) throw new KeyringError("invalid_keyring", "The keyring holds no keys");
  for (const entry of entries) {
    const colon = entry.indexOf(":");
    if (colon <= 0) throw new KeyringError("invalid_keyring", "Each keyring entry must be kid:base64key");
    const kid = entry.slice(0, colon).trim();
    if (!KID_RE.test(kid))
      throw new KeyringError("invalid_keyring", "Key ids must be 1-64 characters of A-Z a-z 0-9 _ -");
    if (keys.has(kid)) throw new KeyringError("invalid_keyring", `Key id "${kid}" appears twice`);
    keys.set(kid, decodeKey(kid, entry.slice(colon + 1)));
  }
  const active = activeKid ?? entries[0]!.slice(0, entries[0]!.indexOf(":")).trim();
  if (!keys.has(active))
    throw new KeyringError("invalid_keyring", `The active key id "${active}" is not in the keyring`);
  return { activeKid: active, keys };
}

function gcmAad(kid: string, aad: string | Uint8Array | undefined): Buffer {
  // kid cannot contain NUL, so header and caller AAD cannot be confused.
  const header = Buffer.from(`warden-keyring:${VERSION}:${kid}\0`, "utf8");
  if (aad === undefined) return header;
  return Buffer.concat([header, typeof aad === "string" ? Buffer.from(aad, "utf8") : aad]);
}

function toBytes(p: string | Uint8Array): Buffer {
  return typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

/** Encrypts under the active key with a fresh random 96-bit IV. */
export function encrypt(keyring: Keyring, plaintext: string | Uint8Array, aad?: string | Uint8Array): string {
  const kid = keyring.activeKid;
  const key = keyring.keys.get(kid);
  if (!key) throw new KeyringError("invalid_keyring", "The active key is missing from the keyring");
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(gcmAad(kid, aad));
  const ct = Buffer.concat([cipher.update(toBytes(plaintext)), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${kid}.${iv.toString("base64url")}.${ct.toString("base64url")}`;
}

type ParsedEnvelope = { kid: string; iv: Buffer; ciphertext: Buffer; tag: Buffer };

function parseEnvelope(envelope: string): ParsedEnvelope {
  const parts = envelope.split(".");
  if (parts.length !== 4)
    throw new KeyringError("malformed_envelope", "The envelope must have four dot-separated parts");
  const [version, kid, ivText, ctText] = parts as [string, string, string, string];
  if (version !== VERSION) throw new KeyringError("malformed_envelope", "Unknown envelope version");
  if (!KID_RE.test(kid)) throw new KeyringError("malformed_envelope", "The envelope's key id is malformed");
  if (!B64URL_RE.test(ivText) || !B64URL_RE.test(ctText)) {
    throw new KeyringError("malformed_envelope", "The envelope is not base64url");
  }
  const iv = Buffer.from(ivText, "base64url");
  const body = Buffer.from(ctText, "base64url");
  if (iv.length !== IV_BYTES || iv.toString("base64url") !== ivText) {
    throw new KeyringError("malformed_envelope", "The envelope's IV is malformed");
  }
  if (body.length < TAG_BYTES || body.toString("base64url") !== ctText) {
    throw new KeyringError("malformed_envelope", "The envelope's ciphertext is malformed");
  }
  return {
    kid,
    iv,
    ciphertext: body.subarray(0, body.length - TAG_BYTES),
    tag: body.subarray(body.length - TAG_BYTES),
  };
}

/** The key id an envelope was sealed with (no decryption). */
export function envelopeKeyId(envelope: string): string {
  return parseEnvelope(envelope).kid;
}

/** True when the envelope was sealed with a key other than the active one. */
export function needsReencryption(keyring: Keyring, envelope: string): boolean {
  return parseEnvelope(envelope).kid !== keyring.activeKid;
}

/** Decrypts to bytes with whichever key in the ring the envelope names. */
export function decryptBytes(keyring: Keyring, envelope: string, aad?: string | Uint8Array): Buffer {
  const { kid, iv, ciphertext, tag } = parseEnvelope(envelope);
  const key = keyring.keys.get(kid);
  if (!key) throw new KeyringError("unknown_key", `No key "${kid}" in the keyring`);
  const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(gcmAad(kid, aad));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (e) {
    throw new KeyringError(
      "authentication_failed",
      "The envelope failed authentication (tampered, wrong key or wrong AAD)",
      e,
    );
  }
}

/** Decrypts a UTF-8 plaintext (see decryptBytes). */
export function decrypt(keyring: Keyring, envelope: string, aad?: string | Uint8Array): string {
  return decryptBytes(keyring, envelope, aad).toString("utf8");
}
