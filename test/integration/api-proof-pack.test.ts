import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as PACK } from "@/app/api/v1/proof-pack/[actionId]/route";
import { generateSigningKey, publicKeyFingerprint } from "@/lib/audit/checkpoint";
import { verifierKeysOf } from "@/lib/audit/checkpoint-note";
import { signingKeyring } from "@/lib/audit/signing-keyring";
import { closeDb } from "@/lib/db/client";
import { PACK_FILES, verifyNote } from "@/lib/proof-pack/verify.mjs";
import { verifyProofPackZip } from "@/lib/proof-pack/verify-zip";
import { approvedAction, setUpFirewall, submitAction, type Firewall } from "../helpers/actions";
import { expectNothingWritten, lastEvent } from "../helpers/audit";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, callRaw, sessionCookie } from "../helpers/http";
import { bearer, createKey } from "../helpers/keys";

let t: TestOrg;
let other: TestOrg;
let fw: Firewall;
let otherFw: Firewall;
let approved: { id: string };
let unrelated: { id: string };
const cookies: Record<string, string> = {};
const tmpRoot = mkdtempSync(join(tmpdir(), "warden-pack-it-"));

beforeAll(async () => {
  [t, other] = await Promise.all([createTestOrg("pp"), createTestOrg("pp-other")]);
  [fw, otherFw] = await Promise.all([setUpFirewall(t), setUpFirewall(other)]);
  // Another action of the same agent, with a distinctive parameter that must never reach the pack.
  unrelated = await submitAction(fw, "read", { note: "UNRELATED-SECRET-7f3a" });
  approved = await approvedAction(t, fw, { quorum: 2, params: { amount: 5000, to: "acct_123" } });
  await submitAction(fw, "read", { note: "LATER-ACTION-91bc" });
  for (const role of ["admin", "auditor", "approver", "viewer"] as const)
    cookies[role] = (await sessionCookie(t.users[role].id)).cookie;
});
afterAll(async () => {
  rmSync(tmpRoot, { recursive: true, force: true });
  await closeOwner();
  await closeDb();
});

const download = (actionId: string, cookie = cookies.auditor, org = t.org.slug) =>
  callRaw(PACK, { cookie, org, params: { actionId } });

function unzipTo(zip: Uint8Array): string {
  const dir = mkdtempSync(join(tmpRoot, "pack-"));
  for (const [name, bytes] of Object.entries(unzipSync(zip))) writeFileSync(join(dir, name), bytes);
  return dir;
}

function verifyDir(dir: string, args: string[] = []) {
  const r = spawnSync(process.execPath, ["verify.mjs", ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "test" },
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

let packZip: Uint8Array;

describe("GET /api/v1/proof-pack/{actionId}", () => {
  it("200: a zip of the fixed files that verifies offline with its own verify.mjs", async () => {
    const res = await download(approved.id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="warden-proof-pack-${approved.id}.zip"`);
    packZip = new Uint8Array(await res.arrayBuffer());
    expect(res.headers.get("x-warden-pack-sha256")).toBe(createHash("sha256").update(packZip).digest("hex"));

    const entries = unzipSync(packZip);
    expect(Object.keys(entries)).toEqual([...PACK_FILES]);
    const dir = unzipTo(packZip);
    const fingerprint = publicKeyFingerprint(signingKeyring().keys[0]!.publicKey);
    const r = verifyDir(dir, ["--expect-key", fingerprint]);
    expect(r.out).toMatch(/^OK: Warden proof pack verified/);
    expect(r.status).toBe(0);
    expect(verifyProofPackZip(packZip)).toMatchObject({ ok: true });
    // The C2SP signed note of the pack's checkpoint, under this organization's origin.
    expect(r.out).toContain(`log origin       localhost:3999/audit/${t.org.id}`);
    const vkey = Buffer.from(entries["checkpoint.vkey"]!).toString("utf8").trim();
    expect(vkey).toBe(verifierKeysOf(t.org.id).keys.find((k) => k.status === "active")!.verifier_key);
    expect(verifyNote(Buffer.from(entries["checkpoint.note"]!), [vkey]).ok).toBe(true);
  });

  it("holds the action, its decision with the matching rule, both approvals, and only the events about it", async () => {
    const entries = unzipSync(packZip);
    const json = (name: string) => JSON.parse(Buffer.from(entries[name]!).toString("utf8"));
    expect(json("action.json")).toMatchObject({
      id: approved.id,
      tool: "payments",
      operation: "wire",
      status: "approved",
      params: { amount: 5000, to: "acct_123" },
    });
    expect(json("decision.json")).toMatchObject({
      effect: "require_approval",
      risk_level: "critical",
      policy_version: 2,
      rule: { index: 0, name: "wires need two", condition: 'operation == "wire"' },
    });
    const approvals = json("approvals.json");
    expect(approvals).toHaveLength(2);
    expect(approvals.map((a: { approver_id: string }) => a.approver_id).sort()).toEqual(
      [t.users.approver.id, fw.secondApprover.id].sort(),
    );
    expect(approvals[0]).toMatchObject({
      decision: "approved",
      mfa: false,
      reason: "checked the invoice",
      approver_email: t.users.approver.email,
    });

    const events = Buffer.from(entries["events.jsonl"]!)
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.map((e: { event: { action: string } }) => e.event.action)).toEqual([
      "action.submitted",
      "action.decided",
      "approval.requested",
      "approval.approved",
      "approval.approved",
      "action.approved",
    ]);
    for (const e of events) expect(e.event.target).toEqual({ type: "action", id: approved.id });

    // No other action's content, anywhere in the archive.
    const everything = Object.values(entries)
      .map((b) => Buffer.from(b).toString("utf8"))
      .join("\n");
    for (const foreign of [unrelated.id, "UNRELATED-SECRET-7f3a", "LATER-ACTION-91bc"])
      expect(everything).not.toContain(foreign);
  });

  it("stores the checkpoint it signed and audits the export with the pack's hash", async () => {
    const ev = await lastEvent(t.org.id);
    expect(ev).toMatchObject({
      action: "audit.proof_pack_exported",
      actor_id: t.users.auditor.id,
      target_type: "action",
      target_id: approved.id,
    });
    expect(ev.data).toMatchObject({
      bytes: packZip.length,
      sha256: createHash("sha256").update(packZip).digest("hex"),
      events: 6,
    });
    const cp = (await owner().query(`SELECT * FROM audit_checkpoints WHERE id = $1`, [ev.data.checkpoint_id])).rows[0];
    expect(cp).toMatchObject({ org_id: t.org.id, reason: "proof_pack", root_hash: ev.data.root_hash });
    const packCheckpoint = JSON.parse(Buffer.from(unzipSync(packZip)["checkpoint.json"]!).toString("utf8"));
    expect(packCheckpoint).toEqual(cp.signed);
  });

  it("a later pack of the same action also lists the earlier export, and still verifies", async () => {
    const res = await download(approved.id);
    const zip = new Uint8Array(await res.arrayBuffer());
    expect(verifyProofPackZip(zip)).toMatchObject({ ok: true });
    const lines = Buffer.from(unzipSync(zip)["events.jsonl"]!).toString("utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).event.action)).toContain("audit.proof_pack_exported");
  });

  it("200 for a denied action (no approvals) and for an admin, and for an API key with audit:export", async () => {
    const denied = await submitAction(fw, "drop");
    const res = await download(denied.id, cookies.admin);
    expect(res.status).toBe(200);
    const zip = new Uint8Array(await res.arrayBuffer());
    const result = verifyProofPackZip(zip);
    expect(result).toMatchObject({ ok: true, summary: { effect: "deny", approvals: 0 } });
    const key = await createKey(t, { scopes: ["audit:export"] });
    expect((await callRaw(PACK, { headers: bearer(key.token), params: { actionId: denied.id } })).status).toBe(200);
  });

  it("200 through a same-origin download link naming the organization in the query", async () => {
    const res = await callRaw(PACK, {
      cookie: cookies.auditor,
      path: `/api/v1/proof-pack/${approved.id}?org=${t.org.slug}`,
      params: { actionId: approved.id },
      headers: { "sec-fetch-site": "same-origin" },
    });
    expect(res.status).toBe(200);
  });

  it("401 without a session; nothing written", async () => {
    await expectNothingWritten(t.org.id, async () => {
      expect((await call(PACK, { org: t.org.slug, params: { actionId: approved.id } })).status).toBe(401);
    });
  });

  it.each(["viewer", "approver"] as const)("403 for a %s; nothing written", async (role) => {
    await expectNothingWritten(t.org.id, async () => {
      const res = await call(PACK, { cookie: cookies[role], org: t.org.slug, params: { actionId: approved.id } });
      expect(res.status).toBe(403);
      expect(res.json.code).toBe("forbidden");
    });
  });

  it("403 for the agent's own key (actions:read, not audit:export) and for a cross-site link; nothing written", async () => {
    await expectNothingWritten(t.org.id, async () => {
      expect((await call(PACK, { headers: bearer(fw.agent.token), params: { actionId: approved.id } })).status).toBe(
        403,
      );
      const res = await call(PACK, {
        cookie: cookies.auditor,
        path: `/api/v1/proof-pack/${approved.id}?org=${t.org.slug}`,
        params: { actionId: approved.id },
        headers: { "sec-fetch-site": "cross-site" },
      });
      expect(res.status).toBe(403);
    });
  });

  it("404 for another organization's action, exactly as for an unknown one; nothing written in either", async () => {
    const theirs = await approvedAction(other, otherFw);
    await expectNothingWritten(other.org.id, () =>
      expectNothingWritten(t.org.id, async () => {
        const foreign = await call(PACK, { cookie: cookies.auditor, org: t.org.slug, params: { actionId: theirs.id } });
        const unknown = await call(PACK, {
          cookie: cookies.auditor,
          org: t.org.slug,
          params: { actionId: "00000000-0000-4000-8000-000000000000" },
        });
        expect(foreign.status).toBe(404);
        expect(unknown.status).toBe(404);
        expect(foreign.json.detail).toBe(unknown.json.detail);
        // An auditor of the other organization gets it, of course.
      }),
    );
    const mine = await download(theirs.id, (await sessionCookie(other.users.auditor.id)).cookie, other.org.slug);
    expect(mine.status).toBe(200);
  });

  it("404 for a malformed id (no path can be smuggled in)", async () => {
    for (const bad of ["../../etc/passwd", "abc", `${approved.id}/../x`, ""]) {
      expect(
        (await call(PACK, { cookie: cookies.auditor, org: t.org.slug, params: { actionId: bad } })).status,
        bad,
      ).toBe(404);
    }
  });
});

describe("tampering with an unzipped pack is detected and named by its verify.mjs", () => {
  let fresh: () => string;
  beforeAll(() => {
    fresh = () => unzipTo(packZip);
  });
  const lines = (dir: string) => readFileSync(join(dir, "events.jsonl"), "utf8").split("\n").filter(Boolean);
  const writeLines = (dir: string, ls: string[]) =>
    writeFileSync(join(dir, "events.jsonl"), ls.map((l) => `${l}\n`).join(""));

  it("one byte of an event edited", () => {
    const dir = fresh();
    const ls = lines(dir);
    const seq = JSON.parse(ls[1]!).seq;
    ls[1] = ls[1]!.replace('"critical"', '"low"');
    writeLines(dir, ls);
    const r = verifyDir(dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain("FAILED");
    expect(r.out).toMatch(new RegExp(`event seq ${seq}.*(edited|does not match)`));
    expect(r.out).toContain("events.jsonl does not match manifest.json");
  });

  it("an event deleted", () => {
    const dir = fresh();
    const ls = lines(dir);
    const seq = JSON.parse(ls[3]!).seq;
    ls.splice(3, 1);
    writeLines(dir, ls);
    const r = verifyDir(dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain(`proofs.json proves seq ${seq} but events.jsonl has no such event`);
  });

  it("two events swapped", () => {
    const dir = fresh();
    const ls = lines(dir);
    [ls[0], ls[1]] = [ls[1]!, ls[0]!];
    writeLines(dir, ls);
    const r = verifyDir(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/event seq \d+ comes after seq \d+; events must be in increasing seq order/);
  });

  it("the tail truncated", () => {
    const dir = fresh();
    const text = readFileSync(join(dir, "events.jsonl"), "utf8");
    writeFileSync(join(dir, "events.jsonl"), text.slice(0, text.length - 40));
    const r = verifyDir(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/events\.jsonl.*(truncated|does not end)/);
  });

  it("the public key replaced", () => {
    const dir = fresh();
    writeFileSync(join(dir, "public-key.pem"), generateSigningKey().publicKeyPem);
    const r = verifyDir(dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain("but public-key.pem is key");
    expect(r.out).toMatch(/checkpoint.*signature/i);
    expect(r.out).toContain("manifest.sig: the signature over manifest.json does not verify");
  });

  it("a file added or removed", () => {
    const extra = fresh();
    writeFileSync(join(extra, "notes.txt"), "hello");
    expect(verifyDir(extra).out).toContain('unexpected file "notes.txt"');
    const missing = fresh();
    unlinkSync(join(missing, "approvals.json"));
    expect(verifyDir(missing).out).toContain("missing file approvals.json");
  });

  it("npm run verify-pack's code path reads the zip the same way", () => {
    expect(verifyProofPackZip(packZip).ok).toBe(true);
    const broken = new Uint8Array(packZip);
    broken[broken.length - 30] = broken[broken.length - 30]! ^ 0xff;
    expect(verifyProofPackZip(broken).ok).toBe(false);
  });
});
