import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GENESIS_HASH, canonicalEvent, chainHash, normaliseData, type HashedEvent } from "@/lib/audit/event";

const base: HashedEvent = {
  v: 1,
  id: "00000000-0000-4000-8000-000000000001",
  org_id: "00000000-0000-4000-8000-000000000002",
  occurred_at: "2026-01-01T00:00:00.000Z",
  actor: { type: "user", id: "u" },
  action: "member.added",
  target: { type: "user", id: "x" },
  ip: null,
  data: { b: 1, a: "é" },
};

describe("audit event hashing", () => {
  it("canonicalises with sorted keys (RFC 8785)", () => {
    const c = canonicalEvent(base);
    expect(c.indexOf('"a":"é"')).toBeLessThan(c.indexOf('"b":1'));
    expect(c.startsWith('{"action":"member.added","actor":')).toBe(true);
  });

  it("hash = SHA-256(prev_hash bytes ‖ canonical UTF-8)", () => {
    const c = canonicalEvent(base);
    const expected = createHash("sha256").update(Buffer.alloc(32)).update(Buffer.from(c, "utf8")).digest("hex");
    expect(chainHash(GENESIS_HASH, c)).toBe(expected);
  });

  it("changes when any byte of the event or the previous hash changes", () => {
    const h = chainHash(GENESIS_HASH, canonicalEvent(base));
    expect(chainHash(GENESIS_HASH, canonicalEvent({ ...base, data: { b: 2, a: "é" } }))).not.toBe(h);
    expect(chainHash("1".padStart(64, "0"), canonicalEvent(base))).not.toBe(h);
  });

  it("normalises data to exactly what jsonb stores", () => {
    expect(normaliseData({ a: undefined, b: "x\u0000y", c: 10n })).toEqual({ b: "x\uFFFDy", c: "10" });
    expect(normaliseData(null)).toEqual({});
    expect(() => normaliseData([1])).toThrow();
  });
});
