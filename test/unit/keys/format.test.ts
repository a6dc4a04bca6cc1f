import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  API_KEY_PATTERN,
  base62ToUuid,
  displayPrefix,
  generateApiKey,
  parseApiKey,
  uuidToBase62,
} from "@/lib/keys/format";
import { sha256Hex } from "@/lib/security/hash";

const ID = "0f8fad5b-d9cb-469f-a165-70867728950e";

describe("API key format", () => {
  it("generates wdn_<env>_<id>_<secret><checksum> and parses it back", () => {
    for (const env of ["live", "test"] as const) {
      const k = generateApiKey(ID, env);
      expect(k.token).toMatch(API_KEY_PATTERN);
      expect(k.token.startsWith(`wdn_${env}_`)).toBe(true);
      const p = parseApiKey(k.token);
      expect(p).toMatchObject({ ok: true, env, id: ID });
      if (p.ok) expect(sha256Hex(p.secret)).toBe(k.secretHash);
      expect(k.last4).toBe(k.token.slice(-4));
    }
  });

  it("carries at least 128 random bits in the secret, and never repeats", () => {
    const secrets = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const p = parseApiKey(generateApiKey(ID, "live").token);
      if (!p.ok) throw new Error("unparseable");
      secrets.add(p.secret);
    }
    expect(secrets.size).toBe(2000);
    expect(32 * Math.log2(62)).toBeGreaterThan(128);
  });

  it("rejects any single-character typo through the checksum, without needing the database", () => {
    const token = generateApiKey(ID, "live").token;
    fc.assert(
      fc.property(
        fc.integer({ min: 9, max: token.length - 1 }),
        fc.constantFrom(..."0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
        (pos, ch) => {
          if (token[pos] === ch || token[pos] === "_") return;
          const typo = token.slice(0, pos) + ch + token.slice(pos + 1);
          const p = parseApiKey(typo);
          expect(p.ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("rejects malformed input", () => {
    for (const bad of [
      "",
      "wdn_live_",
      "Bearer x",
      "wdn_prod_" + "a".repeat(60),
      generateApiKey(ID, "live").token + "x",
      "x".repeat(10_000),
    ]) {
      expect(parseApiKey(bad).ok).toBe(false);
    }
    const t = generateApiKey(ID, "live").token;
    expect(parseApiKey(t.replace("wdn_live_", "wdn_test_"))).toEqual({ ok: false, reason: "bad_checksum" });
  });

  it("encodes uuids in 22 base62 characters, reversibly", () => {
    fc.assert(
      fc.property(fc.uuid(), (u) => {
        const e = uuidToBase62(u);
        expect(e).toHaveLength(22);
        expect(base62ToUuid(e)).toBe(u.toLowerCase());
      }),
    );
    expect(base62ToUuid("zzzzzzzzzzzzzzzzzzzzzz")).toBeNull();
  });

  it("shows a prefix that does not reveal the secret", () => {
    const k = generateApiKey(ID, "test");
    const prefix = displayPrefix(ID, "test");
    expect(prefix).toMatch(/^wdn_test_[0-9A-Za-z]{6}$/);
    expect(k.token.startsWith(prefix)).toBe(true);
  });
});
