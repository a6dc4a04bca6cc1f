import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as POSTURE } from "@/app/api/v1/security/posture/route";
import { GET as REPORT } from "@/app/api/v1/security/report/route";
import { GET as LIST, POST as RECORD } from "@/app/api/v1/security/snapshots/route";
import { GET as SNAPSHOT } from "@/app/api/v1/security/snapshots/[id]/route";
import { PATCH as SETTINGS } from "@/app/api/v1/org/settings/route";
import { closeDb } from "@/lib/db/client";
import type { ChecklistItem, PostureReport } from "@/lib/posture/checklist";
import { closeOwner, owner } from "../helpers/db";
import { expectNothingWritten, headSeq, lastEvent, tamper } from "../helpers/audit";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, publishPolicy } from "../helpers/firewall";
import { call, callRaw, sessionCookie } from "../helpers/http";
import { bearer, createKey } from "../helpers/keys";

let a: TestOrg;
let b: TestOrg;
const cookies: Record<string, string> = {};
let bCookie: string;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("sec-a"), createTestOrg("sec-b")]);
  for (const role of ["admin", "auditor", "approver", "viewer"] as const)
    cookies[role] = (await sessionCookie(a.users[role].id)).cookie;
  bCookie = (await sessionCookie(b.users.admin.id)).cookie;
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function posture(cookie = cookies.admin!, t: TestOrg = a): Promise<PostureReport> {
  const res = await call(POSTURE, { cookie, org: t.org.slug });
  expect(res.status).toBe(200);
  return res.json as PostureReport;
}

function check(r: PostureReport, id: string): ChecklistItem {
  const it = r.items.find((i) => i.id === id);
  expect(it, id).toBeDefined();
  return it!;
}

describe("GET /api/v1/security/posture: every item from the organization's real state", () => {
  it("a fresh organization: no keys, MFA off, no retention; unbuilt features are 'not available'", async () => {
    const r = await posture();
    expect(r.organization.slug).toBe(a.org.slug);
    expect(check(r, "mfa_required")).toMatchObject({ status: "fail", credit: 0 });
    expect(check(r, "mfa_enrolled").summary).toBe("0 of 4 members (0%) have a second factor");
    expect(check(r, "keys_expiry")).toMatchObject({ status: "pass", summary: "No active API keys" });
    // A new organization starts with a published default policy.
    expect(check(r, "policy_default_deny")).toMatchObject({ status: "pass" });
    expect(check(r, "policy_default_deny").summary).toMatch(/^Version \d+: unmatched actions are denied/);
    expect(check(r, "payload_retention").status).toBe("fail");
    expect(check(r, "sso_enforced")).toMatchObject({ status: "fail", summary: "No enabled SSO connection to enforce" });
    expect(check(r, "audit_retention")).toMatchObject({ status: "not_available", credit: null });
    expect(check(r, "chain_verified").status).toBe("pass");
    expect(check(r, "alerts_recommended").summary).toBe("0 of 6 recommended alerts have an active rule");
    // The score is the weighted share of what is available.
    const avail = r.items.filter((i) => i.credit !== null);
    const earned = avail.reduce((s, i) => s + i.weight * i.credit!, 0);
    const possible = avail.reduce((s, i) => s + i.weight, 0);
    expect(r.points.possible).toBe(possible);
    expect(r.score).toBe(Math.floor((100 * earned) / possible));
    expect(r.counts.not_available).toBe(r.items.filter((i) => i.status === "not_available").length);
  });

  it("keys without expiry or allowlist, an allow-everything rule, a dangerous production tool, retention: each changes its item", async () => {
    const before = (await posture()).score;
    await createKey(a, { name: "forever" });
    await createKey(a, {
      name: "tight",
      expires_at: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      ip_allowlist: ["203.0.113.0/24"],
    });
    await publishPolicy(a, [
      { name: "payments", condition: 'tool == "payments"', effect: "require_approval" },
      { name: "anything goes", condition: "true || tool == 'x'", effect: "allow" },
    ]);
    const agent = await createAgentWithKey(a, { tools: { allowed: ["shell_exec", "http_proxy", "search"] } });
    const r = await posture();
    // The agent's key has no expiry either: 2 of 3 never expire.
    expect(check(r, "keys_expiry")).toMatchObject({ status: "warn", summary: "2 active keys of 3 never expire" });
    expect(check(r, "keys_expiry").evidence.join()).toContain("forever");
    expect(check(r, "keys_expiry").evidence.join()).not.toContain("tight");
    expect(check(r, "keys_ip_allowlist").credit).toBeCloseTo(1 / 3);
    expect(check(r, "policy_default_deny")).toMatchObject({
      status: "fail",
      evidence: ['rule 2 "anything goes" is always true'],
    });
    expect(check(r, "agents_dangerous_tools")).toMatchObject({
      status: "fail",
      evidence: [`${agent.slug}: shell_exec (shell)`],
      fix: { path: `/agents/${agent.slug}` },
    });
    expect(r.score).toBeLessThan(before);

    await publishPolicy(a, [{ name: "payments", condition: 'tool == "payments"', effect: "allow" }]);
    const res = await call(SETTINGS, {
      method: "PATCH",
      cookie: cookies.admin,
      org: a.org.slug,
      body: { payload_retention_days: 30, sensitive_keys: ["iban"] },
    });
    expect(res.status).toBe(200);
    const after = await posture();
    expect(check(after, "policy_default_deny").status).toBe("pass");
    expect(check(after, "payload_retention")).toMatchObject({ status: "pass" });
    expect(check(after, "redaction").status).toBe("pass");
  });

  it("a key acting for a locked member is flagged; another organization's keys never appear", async () => {
    await createKey(b, { name: "b-secret-key" });
    await owner().query(
      `INSERT INTO member_locks (org_id, user_id, locked_until, reason) VALUES ($1, $2, now() + interval '1 hour', 'test')`,
      [a.org.id, a.users.admin.id],
    );
    try {
      const r = await posture(cookies.auditor);
      const orphaned = check(r, "keys_orphaned");
      expect(orphaned.status).toBe("fail");
      expect(orphaned.evidence.every((e) => e.endsWith("creator locked"))).toBe(true);
      expect(JSON.stringify(r)).not.toContain("b-secret-key");
    } finally {
      await owner().query(`DELETE FROM member_locks WHERE org_id = $1`, [a.org.id]);
    }
  });

  it("a tampered audit event fails the chain item with the bad seq", async () => {
    const t = await createTestOrg("sec-tamper");
    const cookie = (await sessionCookie(t.users.admin.id)).cookie;
    await createKey(t);
    expect(check(await posture(cookie, t), "chain_verified").status).toBe("pass");
    await tamper(`UPDATE audit_events SET data = '{"forged": true}' WHERE org_id = $1 AND seq = 1`, [t.org.id]);
    const item = check(await posture(cookie, t), "chain_verified");
    expect(item.status).toBe("fail");
    expect(item.summary).toMatch(/^The chain breaks at #1/);
  });

  it("403 for approvers and viewers, 401 without a session, 404 for an organization one is not in", async () => {
    expect((await call(POSTURE, { cookie: cookies.approver, org: a.org.slug })).status).toBe(403);
    expect((await call(POSTURE, { cookie: cookies.viewer, org: a.org.slug })).status).toBe(403);
    expect((await call(POSTURE, { org: a.org.slug })).status).toBe(401);
    expect((await call(POSTURE, { cookie: bCookie, org: a.org.slug })).status).toBe(404);
  });

  it("an API key needs the security:read scope", async () => {
    const without = await createKey(a, { scopes: ["actions:read"] });
    expect((await call(POSTURE, { headers: bearer(without.token) })).status).toBe(403);
    const withScope = await createKey(a, { scopes: ["security:read", "audit:read"] });
    const res = await call(POSTURE, { headers: bearer(withScope.token) });
    expect(res.status).toBe(200);
  });
});

describe("snapshots: the history", () => {
  it("201 for an admin: stored, audited in the same transaction, listed newest first", async () => {
    const res = await call(RECORD, { method: "POST", cookie: cookies.admin, org: a.org.slug });
    expect(res.status).toBe(201);
    const snap = res.json as { id: string; score: number; reason: string };
    expect(snap.reason).toBe("manual");
    const ev = await lastEvent(a.org.id);
    expect(ev).toMatchObject({
      action: "security.posture_recorded",
      target_type: "security_posture_snapshot",
      target_id: snap.id,
      actor_id: a.users.admin.id,
    });
    expect(ev.data.score).toBe(snap.score);
    const list = await call(LIST, { cookie: cookies.auditor, org: a.org.slug });
    expect(list.status).toBe(200);
    expect((list.json as { snapshots: { id: string }[] }).snapshots[0]!.id).toBe(snap.id);
  });

  it("403 for an auditor recording (read-only) and nothing written", async () => {
    await expectNothingWritten(a.org.id, async () => {
      expect((await call(RECORD, { method: "POST", cookie: cookies.auditor, org: a.org.slug })).status).toBe(403);
    });
    const n = await owner().query(`SELECT count(*)::int AS n FROM security_posture_snapshots WHERE org_id = $1`, [
      a.org.id,
    ]);
    expect(n.rows[0].n).toBe(1);
  });

  it("404 for another organization's snapshot and for a malformed id; 422 for a bad limit", async () => {
    const mine = await call(RECORD, { method: "POST", cookie: bCookie, org: b.org.slug });
    const theirs = (mine.json as { id: string }).id;
    expect((await call(SNAPSHOT, { cookie: cookies.admin, org: a.org.slug, params: { id: theirs } })).status).toBe(404);
    expect((await call(SNAPSHOT, { cookie: cookies.admin, org: a.org.slug, params: { id: "x" } })).status).toBe(404);
    expect(
      (await call(SNAPSHOT, { cookie: cookies.admin, org: a.org.slug, params: { id: randomUUID() } })).status,
    ).toBe(404);
    expect((await call(LIST, { cookie: cookies.admin, org: a.org.slug, path: "/x?limit=100000" })).status).toBe(422);
    const own = await call(SNAPSHOT, { cookie: bCookie, org: b.org.slug, params: { id: theirs } });
    expect(own.status).toBe(200);
    expect((own.json as { report: PostureReport }).report.organization.id).toBe(b.org.id);
  });
});

describe("GET /api/v1/security/report: the JSON export", () => {
  it("an auditor downloads through a link: stored as a snapshot, audited with the SHA-256 of the bytes", async () => {
    const seq = await headSeq(a.org.id);
    const res = await callRaw(REPORT, {
      cookie: cookies.auditor,
      path: `/api/v1/security/report?org=${a.org.slug}`,
      headers: { "sec-fetch-site": "same-origin" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="warden-security-/);
    const body = await res.text();
    const sha = createHash("sha256").update(body).digest("hex");
    expect(res.headers.get("x-warden-report-sha256")).toBe(sha);
    const report = JSON.parse(body) as PostureReport;
    expect(report.organization.id).toBe(a.org.id);
    const ev = await lastEvent(a.org.id);
    expect(Number(ev.seq)).toBe(seq + 1);
    expect(ev).toMatchObject({ action: "security.posture_exported", actor_id: a.users.auditor.id });
    expect(ev.data.sha256).toBe(sha);
    // The stored snapshot hashes to the same bytes.
    const stored = await call(SNAPSHOT, {
      cookie: cookies.auditor,
      org: a.org.slug,
      params: { id: res.headers.get("x-warden-snapshot-id")! },
    });
    expect((stored.json as { sha256: string }).sha256).toBe(sha);
  });

  it("403 for a link followed from another site, and for a viewer; nothing written", async () => {
    await expectNothingWritten(a.org.id, async () => {
      const cross = await call(REPORT, {
        cookie: cookies.auditor,
        path: `/api/v1/security/report?org=${a.org.slug}`,
        headers: { "sec-fetch-site": "cross-site" },
      });
      expect(cross.status).toBe(403);
      expect((await call(REPORT, { cookie: cookies.viewer, org: a.org.slug })).status).toBe(403);
    });
  });
});
