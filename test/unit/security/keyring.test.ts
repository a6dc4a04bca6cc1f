import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decrypt,
  decryptBytes,
  encrypt,
  envelopeKeyId,
  generateKey,
  KeyringError,
  needsReencryption,
  parseKeyring,
  type KeyringErrorReason,
} from "@/lib/security/keyring";

function reasonOf(fn: () => unknown): KeyringErrorReason {
  try {
    fn();
  } catch (e) {
    if (e instanceof KeyringError) {
      expect(e.code).toBe("internal");
      return e.reason;
    }
    throw e;
  }
  throw new Error("expected a KeyringError");
}

const k1 = generateKey();
const k2 = generateKey();
const actionId = "9b2f6a6e-8a0e-4c1a-9c39-0f5f0e6d2a11";

describe("parseKeyring", () => {
  it("reads kid:key pairs; the first is active unless named", () => {
    const ring = parseKeyring(`k2026a:${k1}, k2025b:${k2}`);
    expect(ring.activeKid).toBe("k2026a");
    expect([...ring.keys.keys()]).toEqual(["k2026a", "k2025b"]);
    expect(parseKeyring(`k2026a:${k1},k2025b:${k2}`, "k2025b").activeKid).toBe("k2025b");
  });

  it("accepts base64url key material", () => {
    const raw = randomBytes(32);
    const a = parseKeyring(`a:${raw.toString("base64")}`);
    const b = parseKeyring(`a:${raw.toString("base64url")}`);
    expect(a.keys.get("a")).toEqual(b.keys.get("a"));
  });

  it.each([
    ["", "invalid_keyring"],
    [" , ", "invalid_keyring"],
    [`${k1}`, "invalid_keyring"],
    [`:${k1}`, "invalid_keyring"],
    [`bad.kid:${k1}`, "invalid_keyring"],
    [`a:${randomBytes(16).toString("base64")}`, "invalid_keyring"],
    [`a:${randomBytes(33).toString("base64")}`, "invalid_keyring"],
    [`a:${k1.slice(0, 10)}!${k1.slice(11)}`, "invalid_keyring"],
    [`a:${k1},a:${k2}`, "invalid_keyring"],
  ])("refuses %j", (spec, reason) => {
    expect(reasonOf(() => parseKeyring(spec))).toBe(reason);
  });

  it("refuses an active id that is not in the ring", () => {
    expect(reasonOf(() => parseKeyring(`a:${k1}`, "b"))).toBe("invalid_keyring");
  });

  it("never puts key material in an error message", () => {
    try {
      parseKeyring(`a:${k1.slice(0, 40)}`);
    } catch (e) {
      expect((e as Error).message).not.toContain(k1.slice(0, 40));
    }
  });
});

describe("encrypt / decrypt", () => {
  const ring = parseKeyring(`k2026a:${k1},k2025b:${k2}`);

  it("round-trips with the action id as AAD", () => {
    const params = JSON.stringify({ to: "alice@example.com", amount: 42, note: "héllo ✓" });
    const env = encrypt(ring, params, actionId);
    expect(env).toMatch(/^v1\.k2026a\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(env).not.toContain("alice");
    expect(decrypt(ring, env, actionId)).toBe(params);
  });

  it("round-trips arbitrary bytes and AAD (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.string(), (bytes, aad) => {
        const env = encrypt(ring, bytes, aad);
        expect(new Uint8Array(decryptBytes(ring, env, aad))).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it("uses a fresh IV every time", () => {
    const ivs = new Set(Array.from({ length: 200 }, () => encrypt(ring, "same").split(".")[2]));
    expect(ivs.size).toBe(200);
  });

  it("rotation: the new key encrypts, old keys still decrypt", () => {
    const old = parseKeyring(`k2025b:${k2}`);
    const sealedBefore = encrypt(old, "legacy", actionId);
    const rotated = parseKeyring(`k2026a:${k1},k2025b:${k2}`);
    expect(decrypt(rotated, sealedBefore, actionId)).toBe("legacy");
    expect(needsReencryption(rotated, sealedBefore)).toBe(true);
    const sealedAfter = encrypt(rotated, "fresh", actionId);
    expect(envelopeKeyId(sealedAfter)).toBe("k2026a");
    expect(needsReencryption(rotated, sealedAfter)).toBe(false);
    // Once the old key is retired, its envelopes are named, not garbled.
    expect(reasonOf(() => decrypt(parseKeyring(`k2026a:${k1}`), sealedBefore, actionId))).toBe("unknown_key");
  });

  it("any flipped byte fails authentication", () => {
    const env = encrypt(ring, "the original params", actionId);
    const [v, kid, iv, body] = env.split(".") as [string, string, string, string];
    const ivBytes = Buffer.from(iv, "base64url");
    const bodyBytes = Buffer.from(body, "base64url");
    for (let i = 0; i < ivBytes.length; i++) {
      const t = Buffer.from(ivBytes);
      t[i]! ^= 0x01;
      expect(reasonOf(() => decrypt(ring, `${v}.${kid}.${t.toString("base64url")}.${body}`, actionId))).toBe(
        "authentication_failed",
      );
    }
    for (let i = 0; i < bodyBytes.length; i++) {
      const t = Buffer.from(bodyBytes);
      t[i]! ^= 0x80;
      expect(reasonOf(() => decrypt(ring, `${v}.${kid}.${iv}.${t.toString("base64url")}`, actionId))).toBe(
        "authentication_failed",
      );
    }
  });

  it("the wrong AAD fails: params bound to one action do not open as another's", () => {
    const env = encrypt(ring, "secret", actionId);
    expect(reasonOf(() => decrypt(ring, env, "another-action"))).toBe("authentication_failed");
    expect(reasonOf(() => decrypt(ring, env))).toBe("authentication_failed");
    const noAad = encrypt(ring, "secret");
    expect(reasonOf(() => decrypt(ring, noAad, actionId))).toBe("authentication_failed");
    expect(decrypt(ring, noAad)).toBe("secret");
  });

  it("relabelling an envelope to another key id fails", () => {
    const sameKeyTwice = parseKeyring(`a:${k1},b:${k1}`);
    const env = encrypt(sameKeyTwice, "x");
    expect(reasonOf(() => decrypt(sameKeyTwice, env.replace(/^v1\.a\./, "v1.b.")))).toBe("authentication_failed");
  });

  it("an unknown key id is named", () => {
    const env = encrypt(ring, "x");
    expect(reasonOf(() => decrypt(ring, env.replace(".k2026a.", ".k1999z.")))).toBe("unknown_key");
  });

  it.each([
    "",
    "v1.k2026a.abc",
    "v2.k2026a.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
    "v1.k2026a.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
    "v1.k2026a.AAAAAAAAAAAAAAAA.AAAA",
    "v1.k2026a.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAA+",
    "v1.k2026a.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.extra",
    "v1.bad kid.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
    "v1.k2026a.AAAAAAAAAAAAAAAB.AAAAAAAAAAAAAAAAAAAAAB",
  ])("a malformed envelope %j is named", (env) => {
    expect(reasonOf(() => decrypt(ring, env))).toBe("malformed_envelope");
  });
});
