import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { unzipSync, zipSync } from "fflate";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { zipProofPack, type ProofPackFiles } from "@/lib/proof-pack/build";
import { PACK_FILES, formatReport } from "@/lib/proof-pack/verify.mjs";
import { verifyProofPackZip } from "@/lib/proof-pack/verify-zip";
import { CREATED_AT, eventLines, makeScenario, withEventLines } from "./fixture";

const scenario = makeScenario();
const files = scenario.files as ProofPackFiles;
const zip = zipProofPack(files);

const tmpRoot = mkdtempSync(join(tmpdir(), "warden-zip-"));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

const originalTz = process.env.TZ;
afterEach(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

function rawZip(entries: Record<string, Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, [v, { level: 0 }]])));
}

describe("zipProofPack", () => {
  it("writes the fixed names, top level, in a fixed order", () => {
    const names = Object.keys(unzipSync(zip));
    expect(names).toEqual([...PACK_FILES]);
    for (const name of PACK_FILES) expect(Buffer.from(unzipSync(zip)[name]!)).toEqual(Buffer.from(files.get(name)!));
  });

  it("is deterministic, whatever the server's time zone, and dates entries at the UTC creation time", () => {
    process.env.TZ = "America/New_York";
    const a = zipProofPack(files);
    process.env.TZ = "Asia/Kolkata";
    const b = zipProofPack(files);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(zip))).toBe(true);

    // First local file header: DOS time at offset 10, date at 12.
    const view = Buffer.from(a);
    expect(view.readUInt32LE(0)).toBe(0x04034b50);
    const time = view.readUInt16LE(10);
    const date = view.readUInt16LE(12);
    expect({ y: (date >> 9) + 1980, m: (date >> 5) & 15, d: date & 31, h: time >> 11, min: (time >> 5) & 63 }).toEqual({
      y: CREATED_AT.getUTCFullYear(),
      m: CREATED_AT.getUTCMonth() + 1,
      d: CREATED_AT.getUTCDate(),
      h: CREATED_AT.getUTCHours(),
      min: CREATED_AT.getUTCMinutes(),
    });
  });

  it("refuses an incomplete or padded file set", () => {
    const missing = new Map(files);
    missing.delete("README.txt");
    expect(() => zipProofPack(missing)).toThrow(/complete proof pack/);
    const extra = new Map<string, Uint8Array>(files);
    extra.set("extra.txt", new Uint8Array(1));
    expect(() => zipProofPack(extra as ProofPackFiles)).toThrow(/complete proof pack/);
  });
});

describe("verifyProofPackZip", () => {
  it("verifies a genuine pack, with and without --expect-key", () => {
    const r = verifyProofPackZip(zip);
    expect(r.problems).toEqual([]);
    expect(r.summary.events).toEqual([3, 4, 6, 10, 11, 15]);
    expect(verifyProofPackZip(zip, { expectKey: r.summary.fingerprint! }).ok).toBe(true);
    expect(verifyProofPackZip(zip, { expectKey: "0".repeat(64) }).problems.map((p) => p.code)).toEqual([
      "expected_key_mismatch",
    ]);
  });

  it("runs the same checks as verify.mjs on a tampered pack", () => {
    const lines = eventLines(files);
    lines.pop();
    const r = verifyProofPackZip(zipProofPack(withEventLines(files, lines) as ProofPackFiles));
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.code)).toEqual(
      expect.arrayContaining(["file_hash_mismatch", "proof_without_event"]),
    );
  });

  it("reports path-traversal and nested entries by name without extracting them", () => {
    const entries = Object.fromEntries([...files].map(([k, v]) => [k, v]));
    const r = verifyProofPackZip(
      rawZip({ ...entries, "../evil.sh": Buffer.from("rm -rf /"), "sub/action.json": Buffer.from("{}") }),
    );
    expect(r.problems.map((p) => [p.code, p.file])).toEqual([
      ["file_unexpected", "../evil.sh"],
      ["file_unexpected", "sub/action.json"],
    ]);
  });

  it("treats a duplicated entry name as ambiguous", () => {
    const entries = Object.fromEntries([...files].map(([k, v]) => [k, v]));
    const built = Buffer.from(rawZip({ ...entries, "actioX.json": Buffer.from('{"id":"other"}\n') }));
    // Rename the decoy to action.json in both its local header and the central directory.
    const from = Buffer.from("actioX.json");
    let at = built.indexOf(from);
    let renamed = 0;
    while (at !== -1) {
      Buffer.from("action.json").copy(built, at);
      renamed++;
      at = built.indexOf(from, at + 1);
    }
    expect(renamed).toBe(2);
    const r = verifyProofPackZip(built);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.code)).toEqual(expect.arrayContaining(["zip_duplicate_entry", "file_missing"]));
    expect(formatReport(r)).toContain('the archive holds "action.json" 2 times');
  });

  it("refuses archives that unpack beyond the limit, and non-zips", () => {
    const r = verifyProofPackZip(zip, { maxUnzippedBytes: 10_000 });
    expect(r.problems.map((p) => p.code)).toContain("zip_too_large");
    expect(r.ok).toBe(false);
    const junk = verifyProofPackZip(Buffer.from("this is not a zip archive at all"));
    expect(junk.problems.map((p) => p.code)).toEqual(["zip_invalid"]);
  });

  it("backs the repo CLI: scripts/verify-pack.ts", () => {
    const good = join(tmpRoot, "good.zip");
    writeFileSync(good, zip);
    const lines = eventLines(files);
    lines[0] = lines[0]!.replace("http_proxy", "http_proxZ");
    const bad = join(tmpRoot, "bad.zip");
    writeFileSync(bad, zipProofPack(withEventLines(files, lines) as ProofPackFiles));
    const root = resolve(import.meta.dirname, "../../..");
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "scripts/verify-pack.ts", ...args], {
        cwd: root,
        encoding: "utf8",
      });

    const ok = run([good]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^OK: Warden proof pack verified/);
    const failed = run([bad]);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain("event seq 3 (events.jsonl line 1): its content does not match its hash");
    expect(run([]).status).toBe(2);
  });
});
