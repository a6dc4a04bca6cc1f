import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as EXPORT } from "@/app/api/v1/audit/export/route";
import { GET as listExports, POST as requestExportRoute } from "@/app/api/v1/audit/exports/route";
import { GET as getExport } from "@/app/api/v1/audit/exports/[id]/route";
import { GET as download } from "@/app/api/v1/audit/exports/[id]/download/route";
import { POST as approve } from "@/app/api/v1/audit/exports/[id]/approve/route";
import { POST as reject } from "@/app/api/v1/audit/exports/[id]/reject/route";
import { GET as getNotifications } from "@/app/api/v1/notifications/route";
import { createSilence } from "@/lib/alerts/history";
import { createRule, updateRule } from "@/lib/alerts/rules";
import { templateById } from "@/lib/alerts/templates";
import { closeDb } from "@/lib/db/client";
import { lastEvent, seedEvents } from "../helpers/audit";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, callRaw, sessionCookie } from "../helpers/http";
import { bearer, createKey, memberContext } from "../helpers/keys";

/**
 * Template 4: an audit export larger than a size waits for an approval. The
 * rule (here with a small size, as an admin would configure it) is evaluated
 * in the request's own transaction; nothing is streamed before a person other
 * than the requester approves; rejection, expiry and a second download all
 * stop it; a stream never hands over more than the size it was allowed.
 */
let a: TestOrg;
let b: TestOrg;
const cookie: Record<string, string> = {};
let ruleId: string;

const LIMIT_CONDITION = "data.estimated_bytes > 20000.0";

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("exg-a"), createTestOrg("exg-b")]);
  for (const role of ["admin", "auditor", "approver", "viewer"] as const)
    cookie[role] = (await sessionCookie(a.users[role].id)).cookie;
  cookie.adminB = (await sessionCookie(b.users.admin.id)).cookie;
  await seedEvents(a.org.id, 400);
  await seedEvents(b.org.id, 400);
  const template = templateById("large_export")!;
  const rule = await createRule(memberContext(a), {
    name: "Large audit export",
    template: "large_export",
    mode: "active",
    spec: { ...template.spec, condition: LIMIT_CONDITION },
  });
  ruleId = rule.id;
});

afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const exportNow = (who: string, q = "?format=jsonl") =>
  callRaw(EXPORT, { cookie: cookie[who], org: a.org.slug, path: `/api/v1/audit/export${q}` });
const get = (who: string, id: string, org = a.org.slug) =>
  call(getExport, { cookie: cookie[who], org, params: { id } });
const decide = (route: typeof approve, who: string, id: string, body: unknown = { reason: "ok" }, org = a.org.slug) =>
  call(route, { method: "POST", cookie: cookie[who], org, params: { id }, body });
const fetchExport = (who: string, id: string) =>
  callRaw(download, {
    cookie: cookie[who],
    org: a.org.slug,
    params: { id },
    path: `/api/v1/audit/exports/${id}/download`,
  });

async function eventsOf(target: string) {
  return (
    await owner().query(
      `SELECT action, actor_id, data FROM audit_events WHERE org_id = $1 AND (target_id = $2 OR data->>'export_id' = $2) ORDER BY seq`,
      [a.org.id, target],
    )
  ).rows as { action: string; actor_id: string; data: Record<string, unknown> }[];
}

async function pendingAs(who: string): Promise<string> {
  const res = await exportNow(who);
  expect(res.status).toBe(202);
  const body = (await res.json()) as { id: string; status: string; estimated_bytes: number };
  expect(body.status).toBe("pending_approval");
  expect(res.headers.get("location")).toBe(`/api/v1/audit/exports/${body.id}`);
  return body.id;
}

describe("an export over the size waits for an approval", () => {
  it("202 at request time, before any evaluator pass: nothing streamed, the firing and the hold are audited, admins are told", async () => {
    const before = (await lastEvent(a.org.id)).seq;
    const id = await pendingAs("auditor");
    const view = (await get("auditor", id)).json;
    expect(view).toMatchObject({ status: "pending_approval", you_requested: true, download_url: null });
    expect(view.estimated_events).toBeGreaterThanOrEqual(400);
    expect(view.estimated_bytes).toBeGreaterThan(20000);
    const events = await owner().query(`SELECT action FROM audit_events WHERE org_id = $1 AND seq > $2 ORDER BY seq`, [
      a.org.id,
      before,
    ]);
    expect(events.rows.map((r: { action: string }) => r.action)).toEqual([
      "audit.export_requested",
      "alert.fired",
      "audit.export_approval_requested",
      "alert.notified",
    ]);
    const firing = await owner().query(`SELECT outcome FROM alert_firings WHERE org_id = $1 AND rule_id = $2`, [
      a.org.id,
      ruleId,
    ]);
    expect(firing.rows.map((r: { outcome: string }) => r.outcome)).toContain("executed");
    // Not downloadable while pending, not even by its requester.
    expect((await fetchExport("auditor", id)).status).toBe(409);
    // The approval count in the navigation includes it; admins have it in their inbox.
    const inbox = await call(getNotifications, { cookie: cookie.admin, org: a.org.slug });
    expect(inbox.json.pending_approvals).toBeGreaterThanOrEqual(1);
    expect(inbox.json.items.some((n: { title: string }) => n.title === "Large audit export")).toBe(true);
    const queue = await call(listExports, {
      cookie: cookie.approver,
      org: a.org.slug,
      path: "/api/v1/audit/exports?which=pending",
    });
    expect(queue.json.exports.find((e: { id: string }) => e.id === id)).toMatchObject({
      you_may_decide: true,
      requested_by_email: a.users.auditor.email,
    });
  });

  it("approve → the requester downloads exactly the range fixed at request time, once; nobody else can", async () => {
    const id = await pendingAs("auditor");
    const fixed = (await get("auditor", id)).json;
    expect((await decide(approve, "approver", id, { reason: "" })).status).toBe(422);
    expect((await decide(approve, "viewer", id)).status).toBe(403);
    expect((await decide(approve, "adminB", id, { reason: "ok" }, b.org.slug)).status).toBe(404);
    const ok = await decide(approve, "approver", id, { reason: "quarterly SIEM backfill" });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ status: "approved", decided_by_user_id: a.users.approver.id });
    expect((await decide(approve, "admin", id)).status).toBe(409);
    // More events arrive; the export still ends at the head of its request.
    await seedEvents(a.org.id, 5);
    expect((await get("auditor", id)).json.download_url).toBe(`/api/v1/audit/exports/${id}/download`);
    expect((await fetchExport("admin", id)).status).toBe(404);
    const res = await fetchExport("auditor", id);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    const lines = body
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number });
    expect(lines).toHaveLength(fixed.estimated_events);
    expect(lines.at(-1)!.seq).toBe(fixed.through_seq);
    expect(body.length).toBeLessThanOrEqual(fixed.estimated_bytes);
    expect((await fetchExport("auditor", id)).status).toBe(409);
    expect((await eventsOf(id)).map((e) => e.action)).toEqual([
      "audit.export_requested",
      "audit.export_approval_requested",
      "audit.export_approved",
      "audit.exported",
    ]);
    const exported = (await eventsOf(id)).at(-1)!;
    expect(exported.data).toMatchObject({ completed: true, bytes: body.length, export_id: id });
    // The requester was told.
    const n = await owner().query(`SELECT title FROM notifications WHERE org_id = $1 AND user_id = $2`, [
      a.org.id,
      a.users.auditor.id,
    ]);
    expect(n.rows.map((r: { title: string }) => r.title)).toContain("Your audit export was approved");
  });

  it("the requester may not approve their own export, nor the creator of the key that asked (separation of duties)", async () => {
    const own = await pendingAs("admin");
    const self = await decide(approve, "admin", own);
    expect(self.status).toBe(403);
    expect(self.json.detail).toMatch(/separation of duties/);
    expect((await get("admin", own)).json.you_may_decide).toBe(false);

    const key = await createKey(a, { scopes: ["audit:export", "audit:read"] });
    const res = await callRaw(EXPORT, { headers: bearer(key.token), path: "/api/v1/audit/export?format=csv" });
    expect(res.status).toBe(202);
    const viaKey = ((await res.json()) as { id: string }).id;
    expect((await decide(approve, "admin", viaKey)).status).toBe(403);
    expect((await decide(approve, "approver", viaKey)).status).toBe(200);
    // Only the key downloads what the key requested.
    expect((await fetchExport("admin", viaKey)).status).toBe(404);
    const got = await callRaw(download, {
      headers: bearer(key.token),
      params: { id: viaKey },
      path: `/api/v1/audit/exports/${viaKey}/download`,
    });
    expect(got.status).toBe(200);
    expect((await got.text()).split("\r\n")[0]).toMatch(/^seq,occurred_at/);
  });

  it("reject → it never runs; an expired approval → it never runs either, and the expiry is audited", async () => {
    const rejected = await pendingAs("auditor");
    expect((await decide(reject, "approver", rejected, { reason: "not needed" })).json.status).toBe("rejected");
    expect((await fetchExport("auditor", rejected)).status).toBe(409);
    expect((await decide(approve, "admin", rejected)).status).toBe(409);

    const expired = await pendingAs("auditor");
    await owner().query(
      `UPDATE audit_export_requests SET approval_expires_at = now() - interval '1 second' WHERE id = $1`,
      [expired],
    );
    expect((await get("auditor", expired)).json.status).toBe("expired");
    const late = await decide(approve, "approver", expired);
    expect(late.status).toBe(409);
    expect(late.json.detail).toMatch(/expired/);
    expect((await fetchExport("auditor", expired)).status).toBe(409);
    const actions = (await eventsOf(expired)).map((e) => e.action);
    expect(actions).toContain("audit.export_expired");
    expect(actions).not.toContain("audit.exported");
  });

  it("a silence or the hourly cap does not let a large export through; shadow mode does (and says it would have held it)", async () => {
    const ctx = memberContext(a);
    const silence = await createSilence(ctx, { rule_id: ruleId, reason: "maintenance", duration_seconds: 600 });
    await pendingAs("auditor");
    await owner().query(`UPDATE alert_silences SET ended_at = now() WHERE id = $1`, [silence.id]);
    await updateRule(ctx, ruleId, { mode: "shadow" });
    try {
      const res = await exportNow("auditor");
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      const fired = await owner().query(
        `SELECT outcome FROM alert_firings WHERE org_id = $1 AND rule_id = $2 ORDER BY fired_at DESC LIMIT 1`,
        [a.org.id, ruleId],
      );
      expect(fired.rows[0].outcome).toBe("shadow");
    } finally {
      await updateRule(ctx, ruleId, { mode: "active" });
    }
  });

  it("a small export is not held; with the template's default (1 GB) nothing here is", async () => {
    const small = await exportNow("auditor", `?format=jsonl&from=${new Date(Date.now() + 3_600_000).toISOString()}`);
    expect(small.status).toBe(200);
    await small.arrayBuffer();
    const t = await createTestOrg("exg-default");
    await seedEvents(t.org.id, 50);
    await createRule(memberContext(t), {
      name: "default size",
      template: "large_export",
      mode: "active",
      spec: templateById("large_export")!.spec,
    });
    const res = await callRaw(EXPORT, {
      cookie: (await sessionCookie(t.users.auditor.id)).cookie,
      org: t.org.slug,
      path: "/api/v1/audit/export?format=csv",
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });
});

describe("attacks on the export flow", () => {
  it("two downloads of one approved export race: exactly one streams", async () => {
    const id = await pendingAs("auditor");
    await decide(approve, "approver", id);
    const [x, y] = await Promise.all([fetchExport("auditor", id), fetchExport("auditor", id)]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    await (x.status === 200 ? x : y).arrayBuffer();
  });

  it("an export whose stream would exceed the size it was allowed is cut off with an error, and audited as incomplete", async () => {
    const res = await call(requestExportRoute, {
      method: "POST",
      cookie: cookie.auditor,
      org: a.org.slug,
      body: { format: "jsonl", from: new Date(0).toISOString() },
    });
    expect(res.status).toBe(201);
    const id = res.json.id as string;
    expect(res.json.status).toBe("pending_approval");
    await decide(approve, "approver", id);
    // As if the estimate had been too low: the allowed size is what the stream is held to.
    await owner().query(`UPDATE audit_export_requests SET estimated_bytes = 5000 WHERE id = $1`, [id]);
    const stream = await fetchExport("auditor", id);
    expect(stream.status).toBe(200);
    await expect(stream.arrayBuffer()).rejects.toThrow();
    const exported = (await eventsOf(id)).find((e) => e.action === "audit.exported")!;
    expect(exported.data).toMatchObject({ completed: false, events: 0, bytes: 0 });
  });

  it("another organization's export is 404 everywhere; malformed ids are 404; bodies are validated", async () => {
    const id = await pendingAs("auditor");
    expect((await get("adminB", id, b.org.slug)).status).toBe(404);
    expect((await decide(reject, "adminB", id, { reason: "x" }, b.org.slug)).status).toBe(404);
    expect((await get("auditor", "not-a-uuid")).status).toBe(404);
    expect((await decide(approve, "approver", id, { reason: "ok", extra: 1 })).status).toBe(422);
    expect((await decide(approve, "approver", id, { reason: "x".repeat(501) })).status).toBe(422);
    const bad = await call(requestExportRoute, {
      method: "POST",
      cookie: cookie.auditor,
      org: a.org.slug,
      body: { format: "xml" },
    });
    expect(bad.status).toBe(422);
    // A viewer cannot request, read, or list exports waiting for approval.
    const asViewer = await call(requestExportRoute, {
      method: "POST",
      cookie: cookie.viewer,
      org: a.org.slug,
      body: { format: "jsonl" },
    });
    expect(asViewer.status).toBe(403);
    expect((await get("viewer", id)).status).toBe(403);
  });
});
