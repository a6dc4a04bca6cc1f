import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VERIFY_MJS_SOURCE } from "@/lib/proof-pack/verifier-source";

describe("the verifier embedded in packs", () => {
  it("is byte for byte lib/proof-pack/verify.mjs (run `node scripts/embed-pack-verifier.mjs` after editing it)", () => {
    const onDisk = readFileSync(new URL("../../../lib/proof-pack/verify.mjs", import.meta.url), "utf8");
    expect(VERIFY_MJS_SOURCE === onDisk).toBe(true);
  });

  it("imports nothing but node: builtins", () => {
    const imports = [...VERIFY_MJS_SOURCE.matchAll(/^\s*import\s[^;]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.every((s) => s!.startsWith("node:"))).toBe(true);
    expect(VERIFY_MJS_SOURCE).not.toMatch(
      /\bimport\s*\(|\brequire\s*\(|\bfetch\s*\(|node:(http|https|net|tls|dgram|child_process)/,
    );
  });
});
