import canonicalize from "canonicalize";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

/**
 * RFC 8785 (JCS) canonical JSON: the one way bytes that are hashed or signed
 * (audit events, checkpoints, payload hashes, export lines, pack files) are
 * written. Throws a TypeError for anything that has no JSON form (undefined,
 * functions, BigInt, NaN and infinities, lone surrogates, cycles) rather than
 * hashing a guess.
 */
export function canonicalJson(value: unknown): string {
  let out: string | undefined;
  try {
    out = canonicalize(value);
  } catch (e) {
    throw new TypeError(`not serialisable as canonical JSON: ${(e as Error).message}`, { cause: e });
  }
  if (out === undefined) throw new TypeError("not serialisable as canonical JSON: no JSON value");
  return out;
}
