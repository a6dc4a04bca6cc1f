import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import { sha256Hex } from "../security/hash";

/**
 * API key format:  wdn_<env>_<id>_<secret><checksum>
 *
 *   env       live | test — part of the key, so a test key is recognisable anywhere
 *   id        the key row's uuid in base62 (22 chars): public, used for lookup
 *   secret    32 base62 chars from the CSPRNG (~190 bits); only its SHA-256 is stored
 *   checksum  CRC-32 of everything before it, base62 (6 chars): secret scanners and the
 *             server reject mistyped or truncated keys without a database hit
 */
export type KeyEnvironment = "live" | "test";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ID_LEN = 22;
const SECRET_LEN = 32;
const CHECKSUM_LEN = 6;
export const API_KEY_PATTERN = /^wdn_(live|test)_([0-9A-Za-z]{22})_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;

function toBase62(value: bigint, width: number): string {
  let out = "";
  let v = value;
  while (v > 0n) {
    out = ALPHABET[Number(v % 62n)] + out;
    v /= 62n;
  }
  return out.padStart(width, "0");
}

function fromBase62(s: string): bigint {
  let v = 0n;
  for (const ch of s) v = v * 62n + BigInt(ALPHABET.indexOf(ch));
  return v;
}

export function uuidToBase62(uuid: string): string {
  return toBase62(BigInt(`0x${uuid.replace(/-/g, "")}`), ID_LEN);
}

export function base62ToUuid(s: string): string | null {
  const v = fromBase62(s);
  if (v >= 1n << 128n) return null;
  const hex = v.toString(16).padStart(32, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function randomBase62(length: number): string {
  const out: string[] = [];
  // Rejection sampling keeps every character uniform (256 is not a multiple of 62).
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out.push(ALPHABET[b % 62]!);
    }
  }
  return out.join("");
}

function checksum(body: string): string {
  return toBase62(BigInt(crc32(body) >>> 0), CHECKSUM_LEN);
}

export type GeneratedKey = { token: string; secretHash: string; last4: string };

export function generateApiKey(id: string, env: KeyEnvironment): GeneratedKey {
  const secret = randomBase62(SECRET_LEN);
  const body = `wdn_${env}_${uuidToBase62(id)}_${secret}`;
  const token = `${body}${checksum(body)}`;
  return { token, secretHash: sha256Hex(secret), last4: token.slice(-4) };
}

export type ParsedKey =
  { ok: true; env: KeyEnvironment; id: string; secret: string } | { ok: false; reason: "malformed" | "bad_checksum" };

export function parseApiKey(token: string): ParsedKey {
  const m = API_KEY_PATTERN.exec(token);
  if (!m) return { ok: false, reason: "malformed" };
  const [, env, idPart, secret, sum] = m as unknown as [string, KeyEnvironment, string, string, string];
  if (checksum(`wdn_${env}_${idPart}_${secret}`) !== sum) return { ok: false, reason: "bad_checksum" };
  const id = base62ToUuid(idPart);
  if (!id) return { ok: false, reason: "malformed" };
  return { ok: true, env, id, secret };
}

/** What lists show: the environment, the start of the id, and the last four characters. */
export function displayPrefix(id: string, env: KeyEnvironment): string {
  return `wdn_${env}_${uuidToBase62(id).slice(0, 6)}`;
}
