import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/proof-pack/verify.mjs";

function outcome(fn: () => string | undefined): { ok: true; value: string | undefined } | { ok: false } {
  try {
    return { ok: true, value: fn() };
  } catch {
    return { ok: false };
  }
}

describe("the verifier's own RFC 8785 canonicaliser", () => {
  it("agrees with the canonicalize package on arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalJson(v)).toBe(canonicalize(v));
      }),
      { numRuns: 2000 },
    );
  });

  it("agrees on arbitrary UTF-16 strings as keys and values, lone surrogates included (both refuse them)", () => {
    const anyString = fc.string({ unit: "binary", maxLength: 12 });
    const value = fc.dictionary(
      anyString,
      fc.oneof(anyString, fc.double(), fc.integer(), fc.boolean(), fc.constant(null)),
      { maxKeys: 6 },
    );
    fc.assert(
      fc.property(value, (v) => {
        expect(outcome(() => canonicalJson(v))).toEqual(outcome(() => canonicalize(v)));
      }),
      { numRuns: 2000 },
    );
  });

  it("agrees on any double, including -0, subnormals and exponents", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        expect(canonicalJson(d)).toBe(canonicalize(d));
      }),
      { numRuns: 5000 },
    );
  });

  it("matches the RFC 8785 examples", () => {
    // RFC 8785 §3.2.2.3 number samples and §3.2.3 sorting example.
    expect(canonicalJson([333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001, -0])).toBe(
      "[333333333.3333333,1e+30,4.5,0.002,1e-27,0]",
    );
    const sorted = canonicalJson({
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    });
    expect(sorted).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: '\u0001\n"\\' })).toBe(
      '{"a":"\\u0001\\n\\"\\\\","b":[1,{"c":2,"d":1}]}',
    );
  });

  it("refuses what JSON cannot carry", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow();
    expect(() => canonicalJson(Infinity)).toThrow();
    expect(() => canonicalJson(undefined)).toThrow();
    expect(() => canonicalJson({ a: undefined })).toThrow();
    expect(() => canonicalJson("\ud800")).toThrow();
  });
});
