import { createHash, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import {
  CHECKPOINT_SIGNING_CONTEXT,
  checkpointSigningBytes,
  formatPublicKeyring,
  generateSigningKey,
  keyIdFromPublicKey,
  parseSigningKeyring,
  publicKeyFingerprint,
  selectSigningKey,
  signCheckpoint,
  verifyCheckpoint,
  verifyCheckpointWithKeyring,
  type SignedCheckpoint,
} from "@/lib/audit/checkpoint";
import { AppError } from "@/lib/errors";

const ORG = "0f8e7d6c-5b4a-4938-8271-605f4e3d2c1b";
const ROOT = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";
const T0 = new Date("2026-01-01T00:00:00.000Z");
const T1 = new Date("2026-07-01T00:00:00.000Z");

function der(pem: string): Buffer {
  return createPublicKey(pem).export({ type: "spki", format: "der" });
}

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}

describe("signing keys", () => {
  it("derives the key id from the SPKI DER of the public key", () => {
    const k = generateSigningKey({ validFrom: T0 });
    const fingerprint = createHash("sha256").update(der(k.publicKeyPem)).digest("hex");
    expect(publicKeyFingerprint(k.publicKeyPem)).toBe(fingerprint);
    expect(k.keyId).toBe(fingerprint.slice(0, 16));
    expect(keyIdFromPublicKey(k.publicKeyPem)).toBe(k.keyId);
    expect(k.validFrom).toBe(T0.toISOString());
    expect(k.privateKeyPem).toContain("BEGIN PRIVATE KEY");
  });

  it("parses the compact form produced by generateSigningKey", () => {
    const a = generateSigningKey({ validFrom: T0 });
    const ring = parseSigningKeyring(a.spec);
    expect(ring.keys).toHaveLength(1);
    expect(ring.keys[0]!.keyId).toBe(a.keyId);
    expect(ring.keys[0]!.privateKey).not.toBeNull();
    expect(ring.keys[0]!.validFrom).toEqual(T0);
    expect(ring.keys[0]!.validUntil).toBeNull();
  });

  it("parses a rotation in compact form: retired public-only key plus the current signing key", () => {
    const old = generateSigningKey({ validFrom: T0 });
    const current = generateSigningKey({ validFrom: T1 });
    const oldSpki = createPublicKey(old.publicKeyPem).export({ type: "spki", format: "der" }).toString("base64");
    const ring = parseSigningKeyring(`pk:${oldSpki}@${T0.toISOString()}/${T1.toISOString()}; ${current.spec}`);
    expect(ring.keys.map((k) => k.keyId)).toEqual([old.keyId, current.keyId]);
    expect(ring.keys[0]!.privateKey).toBeNull();
    expect(ring.keys[0]!.validUntil).toEqual(T1);
  });

  it("parses the JSON form and checks a given key_id and public half", () => {
    const a = generateSigningKey({ validFrom: T0 });
    const ring = parseSigningKeyring(
      JSON.stringify({
        keys: [{ key_id: a.keyId, public_key: a.publicKeyPem, private_key: a.privateKeyPem, valid_from: a.validFrom }],
      }),
    );
    expect(ring.keys[0]!.keyId).toBe(a.keyId);
    const asArray = parseSigningKeyring(JSON.stringify([{ public_key: a.publicKeyPem, valid_from: a.validFrom }]));
    expect(asArray.keys[0]!.privateKey).toBeNull();
    expect(JSON.parse(formatPublicKeyring(ring))).toEqual({
      keys: [{ key_id: a.keyId, public_key: a.publicKeyPem, valid_from: a.validFrom }],
    });
    expect(formatPublicKeyring(ring)).not.toContain("PRIVATE");
  });

  it("detects a swapped key: a key_id that is not derived from the key", () => {
    const a = generateSigningKey({ validFrom: T0 });
    const b = generateSigningKey({ validFrom: T0 });
    const err = errorOf(() =>
      parseSigningKeyring(JSON.stringify([{ key_id: a.keyId, public_key: b.publicKeyPem, valid_from: a.validFrom }])),
    );
    expect(err.code).toBe("validation_failed");
    expect(err.errors?.[0]?.message).toContain(`its id is ${b.keyId}`);
  });

  it("refuses a public key that is not the half of the private key", () => {
    const a = generateSigningKey({ validFrom: T0 });
    const b = generateSigningKey({ validFrom: T0 });
    const err = errorOf(() =>
      parseSigningKeyring(
        JSON.stringify([{ public_key: b.publicKeyPem, private_key: a.privateKeyPem, valid_from: a.validFrom }]),
      ),
    );
    expect(err.errors?.[0]?.message).toMatch(/public half/);
  });

  it("refuses non-Ed25519 keys, duplicates, bad windows and garbage", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const ecPem = ec.publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(
      errorOf(() => parseSigningKeyring(JSON.stringify([{ public_key: ecPem, valid_from: T0.toISOString() }])))
        .errors?.[0]?.message,
    ).toMatch(/not Ed25519/);
    const a = generateSigningKey({ validFrom: T0 });
    expect(errorOf(() => parseSigningKeyring(`${a.spec};${a.spec}`)).errors?.[0]?.message).toMatch(/appears twice/);
    expect(
      errorOf(() =>
        parseSigningKeyring(
          JSON.stringify([{ public_key: a.publicKeyPem, valid_from: T1.toISOString(), valid_until: T0.toISOString() }]),
        ),
      ).errors?.[0]?.message,
    ).toMatch(/after valid_from/);
    expect(errorOf(() => parseSigningKeyring("sk:notbase64!@2026-01-01T00:00:00Z")).code).toBe("validation_failed");
    expect(
      errorOf(() => parseSigningKeyring(`sk:${Buffer.from("junk").toString("base64")}@2026-01-01T00:00:00Z`))
        .errors?.[0]?.message,
    ).toMatch(/does not parse/);
    expect(errorOf(() => parseSigningKeyring(a.spec.replace(/@.*/, "@yesterday"))).code).toBe("validation_failed");
    expect(errorOf(() => parseSigningKeyring("{not json")).code).toBe("validation_failed");
    expect(
      errorOf(() => parseSigningKeyring(JSON.stringify([{ public_key: a.privateKeyPem, valid_from: a.validFrom }])))
        .errors?.[0]?.message,
    ).toMatch(/holds a private key/);
    expect(errorOf(() => parseSigningKeyring("  ")).code).toBe("validation_failed");
  });

  it("selects the newest key that can sign at a time, and none outside every window", () => {
    const old = generateSigningKey({ validFrom: T0 });
    const current = generateSigningKey({ validFrom: T1 });
    const ring = parseSigningKeyring(
      JSON.stringify([
        {
          private_key: old.privateKeyPem,
          valid_from: T0.toISOString(),
          valid_until: new Date("2026-08-01T00:00:00.000Z").toISOString(),
        },
        { private_key: current.privateKeyPem, valid_from: T1.toISOString() },
      ]),
    );
    expect(selectSigningKey(ring, new Date("2026-03-01T00:00:00Z")).keyId).toBe(old.keyId);
    // Overlap: the new key takes over as soon as it is valid.
    expect(selectSigningKey(ring, new Date("2026-07-15T00:00:00Z")).keyId).toBe(current.keyId);
    expect(errorOf(() => selectSigningKey(ring, new Date("2025-12-31T23:59:59Z"))).code).toBe("internal");

    const verifyOnly = parseSigningKeyring(
      JSON.stringify([{ public_key: old.publicKeyPem, valid_from: T0.toISOString() }]),
    );
    expect(errorOf(() => selectSigningKey(verifyOnly, T1)).code).toBe("internal");
  });
});

describe("checkpoints", () => {
  const key = generateSigningKey({ validFrom: T0 });
  const ring = parseSigningKeyring(key.spec);
  const fields = { org_id: ORG, tree_size: 8, root_hash: ROOT, timestamp: "2026-02-03T04:05:06.789Z" };

  it("signs context ‖ canonical JSON with the key of the moment, naming it", () => {
    const signed = signCheckpoint(ring, fields);
    expect(signed.checkpoint).toEqual({ v: 1, ...fields, key_id: key.keyId });
    const bytes = checkpointSigningBytes(signed.checkpoint);
    expect(bytes.toString("utf8")).toBe(CHECKPOINT_SIGNING_CONTEXT + canonicalize(signed.checkpoint));
    expect(verify(null, bytes, createPublicKey(key.publicKeyPem), Buffer.from(signed.signature, "base64"))).toBe(true);
    const result = verifyCheckpoint(signed, key.publicKeyPem);
    expect(result).toMatchObject({ ok: true, keyId: key.keyId, fingerprint: publicKeyFingerprint(key.publicKeyPem) });
  });

  it("defaults the timestamp to now", () => {
    const before = Date.now();
    const signed = signCheckpoint(ring, { org_id: ORG, tree_size: 1, root_hash: ROOT });
    const t = new Date(signed.checkpoint.timestamp).getTime();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });

  it("names the reason a checkpoint fails", () => {
    const signed = signCheckpoint(ring, fields);
    const other = generateSigningKey({ validFrom: T0 });

    const grown: SignedCheckpoint = { ...signed, checkpoint: { ...signed.checkpoint, tree_size: 9 } };
    expect(verifyCheckpoint(grown, key.publicKeyPem)).toMatchObject({ ok: false, reason: "bad_signature" });

    const otherRoot: SignedCheckpoint = { ...signed, checkpoint: { ...signed.checkpoint, root_hash: "0".repeat(64) } };
    expect(verifyCheckpoint(otherRoot, key.publicKeyPem)).toMatchObject({ ok: false, reason: "bad_signature" });

    expect(verifyCheckpoint(signed, other.publicKeyPem)).toMatchObject({ ok: false, reason: "key_id_mismatch" });

    // A swapped key with the checkpoint's key_id rewritten to match it.
    const relabelled: SignedCheckpoint = { ...signed, checkpoint: { ...signed.checkpoint, key_id: other.keyId } };
    expect(verifyCheckpoint(relabelled, other.publicKeyPem)).toMatchObject({ ok: false, reason: "bad_signature" });

    expect(verifyCheckpoint(signed, "not a pem")).toMatchObject({ ok: false, reason: "invalid_public_key" });
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .publicKey.export({ type: "spki", format: "pem" })
      .toString();
    expect(verifyCheckpoint(signed, ec)).toMatchObject({ ok: false, reason: "invalid_public_key" });

    const extra = { ...signed, checkpoint: { ...signed.checkpoint, note: "x" } };
    expect(verifyCheckpoint(extra, key.publicKeyPem)).toMatchObject({ ok: false, reason: "malformed" });
    const v2 = { ...signed, checkpoint: { ...signed.checkpoint, v: 2 } };
    expect(verifyCheckpoint(v2, key.publicKeyPem)).toMatchObject({
      ok: false,
      reason: "malformed",
      message: expect.stringContaining("v"),
    });
    const badTime = { ...signed, checkpoint: { ...signed.checkpoint, timestamp: "2026-02-03T04:05:06Z" } };
    expect(verifyCheckpoint(badTime, key.publicKeyPem)).toMatchObject({ ok: false, reason: "malformed" });
    expect(verifyCheckpoint(null, key.publicKeyPem)).toMatchObject({ ok: false, reason: "malformed" });
  });

  it("validates the fields it signs", () => {
    expect(errorOf(() => signCheckpoint(ring, { ...fields, root_hash: "ABC" })).code).toBe("validation_failed");
    expect(errorOf(() => signCheckpoint(ring, { ...fields, tree_size: -1 })).code).toBe("validation_failed");
    expect(errorOf(() => signCheckpoint(ring, { ...fields, org_id: "acme" })).code).toBe("validation_failed");
    expect(errorOf(() => signCheckpoint(ring, { ...fields, timestamp: "yesterday" })).code).toBe("validation_failed");
  });

  it("a retired key verifies what it signed but signs nothing new", () => {
    const oldKey = generateSigningKey({ validFrom: T0 });
    const newKey = generateSigningKey({ validFrom: T1 });
    const before = parseSigningKeyring(oldKey.spec);
    const signed = signCheckpoint(before, { ...fields, timestamp: "2026-03-01T00:00:00.000Z" });
    const oldSpki = createPublicKey(oldKey.publicKeyPem).export({ type: "spki", format: "der" }).toString("base64");
    const after = parseSigningKeyring(`pk:${oldSpki}@${T0.toISOString()}/${T1.toISOString()};${newKey.spec}`);

    expect(verifyCheckpointWithKeyring(signed, after)).toMatchObject({ ok: true, keyId: oldKey.keyId });
    expect(signCheckpoint(after, { ...fields, timestamp: "2026-07-02T00:00:00.000Z" }).checkpoint.key_id).toBe(
      newKey.keyId,
    );
    expect(errorOf(() => signCheckpoint(after, { ...fields, timestamp: "2026-03-01T00:00:00.000Z" })).code).toBe(
      "internal",
    );
    expect(errorOf(() => signCheckpoint(after, fields, { keyId: oldKey.keyId })).code).toBe("internal");
  });

  it("with a keyring, refuses unknown keys and checkpoints dated outside the key's window", () => {
    const signed = signCheckpoint(ring, fields);
    const stranger = parseSigningKeyring(generateSigningKey({ validFrom: T0 }).spec);
    expect(verifyCheckpointWithKeyring(signed, stranger)).toMatchObject({ ok: false, reason: "unknown_key" });

    const narrow = parseSigningKeyring(
      JSON.stringify([
        { public_key: key.publicKeyPem, valid_from: T0.toISOString(), valid_until: "2026-02-01T00:00:00.000Z" },
      ]),
    );
    expect(verifyCheckpointWithKeyring(signed, narrow)).toMatchObject({
      ok: false,
      reason: "key_not_valid_at_timestamp",
    });
    expect(verifyCheckpointWithKeyring({ nope: true }, ring)).toMatchObject({ ok: false, reason: "malformed" });
  });
});
