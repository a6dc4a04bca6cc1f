import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as submitAction } from "@/app/api/v1/actions/route";
import { POST as backtestRoute } from "@/app/api/v1/alerts/rules/backtest/route";
import { GET as getRule, PATCH as patchRule } from "@/app/api/v1/alerts/rules/[id]/route";
import { GET as listRules, POST as createRuleRoute } from "@/app/api/v1/alerts/rules/route";
import { POST as testRoute } from "@/app/api/v1/alerts/rules/test/route";
import { DELETE as endSilenceRoute } from "@/app/api/v1/alerts/silences/[id]/route";
import { POST as createSilenceRoute } from "@/app/api/v1/alerts/silences/route";
import { GET as templatesRoute } from "@/app/api/v1/alerts/templates/route";
import { POST as readRoute } from "@/app/api/v1/notifications/read/route";
import { GET as inboxRoute } from "@/app/api/v1/notifications/route";
import { POST as reinstateRoute } from "@/app/api/v1/auth/api-keys/[id]/reinstate/route";
import { GET as whoami } from "@/app/api/v1/auth/whoami/route";
import { evaluateOrganization } from "@/lib/alerts/evaluate-alerts";
import { templateById } from "@/lib/alerts/templates";
import { closeDb } from "@/lib/db/client";
import { expectNothingWritten } from "../helpers/audit";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, publishPolicy } from "../helpers/firewall";
import { call, sessionCookie } from "../helpers/http";
import { bearer, createKey } from "../helpers/keys";

let a: TestOrg;
let b: TestOrg;
let adminA: string;
let viewerA: string;
let adminB: string;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("api-alerts-a"), createTestOrg("api-alerts-b")]);
  adminA = (await sessionCookie(a.users.admin.id)).cookie;
  viewerA = (await sessionCookie(a.users.viewer.id)).cookie;
  adminB = (await sessionCookie(b.users.admin.id)).cookie;
});

afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const create = (cookie: string, org: string, body: unknown) =>
  call(createRuleRoute, { method: "POST", cookie, org, body });

describe("alert rules API", () => {
  it("401 without a session, 403 for a viewer, 200 for an admin", async () => {
    expect((await call(listRules, { org: a.org.slug })).status).toBe(401);
    expect((await call(listRules, { cookie: viewerA, org: a.org.slug })).status).toBe(403);
    const r = await call(listRules, { cookie: adminA, org: a.org.slug });
    expect(r.status).toBe(200);
    expect(Array.isArray(r.json.rules)).toBe(true);
    const t = await call(templatesRoute, { cookie: adminA, org: a.org.slug });
    expect(t.json.templates.map((x: { id: string }) => x.id)).toContain("failed_sign_ins");
  });

  it("201 from a template; 409 for a duplicate name; 422 with the condition's line and column; nothing written on failure", async () => {
    const ok = await create(adminA, a.org.slug, {
      name: "denied agents",
      template: "agent_denied",
      spec: templateById("agent_denied")!.spec,
    });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ name: "denied agents", mode: "shadow", version: 1, state: "ok" });

    await expectNothingWritten(a.org.id, async () => {
      const dup = await create(adminA, a.org.slug, { name: "denied agents", spec: { condition: "true" } });
      expect(dup.status).toBe(409);
      const bad = await create(adminA, a.org.slug, { name: "bad", spec: { condition: 'action == "x" &&\n  nope' } });
      expect(bad.status).toBe(422);
      expect(bad.json.errors[0]).toMatchObject({ path: "spec.condition" });
      expect(bad.json.errors[0].message).toMatch(/line 2, column 3/);
      const unknownField = await create(adminA, a.org.slug, {
        name: "bad2",
        spec: { condition: "true", group_by: ["password"] },
      });
      expect(unknownField.status).toBe(422);
      const unknownTemplate = await create(adminA, a.org.slug, { name: "bad3", template: "nope" });
      expect(unknownTemplate.status).toBe(422);
      const foreignChannel = await create(adminA, a.org.slug, {
        name: "bad4",
        spec: { condition: "true", responses: [{ type: "notify", channels: [crypto.randomUUID()] }] },
      });
      expect(foreignChannel.status).toBe(422);
      const absenceNoGroup = await create(adminA, a.org.slug, {
        name: "bad5",
        spec: { condition: "true", aggregation: { kind: "absence", follow_up: "true", within_seconds: 60 } },
      });
      expect(absenceNoGroup.status).toBe(422);
      const notJson = await call(createRuleRoute, {
        method: "POST",
        cookie: adminA,
        org: a.org.slug,
        rawBody: "{",
        headers: { "content-type": "application/json" },
      });
      expect(notJson.status).toBe(400);
    });
  });

  it("another organization's rule is 404, for reading and for writing", async () => {
    const r = await create(adminA, a.org.slug, { name: "mine", spec: { condition: "true" } });
    expect((await call(getRule, { cookie: adminB, org: b.org.slug, params: { id: r.json.id } })).status).toBe(404);
    const patch = await call(patchRule, {
      method: "PATCH",
      cookie: adminB,
      org: b.org.slug,
      params: { id: r.json.id },
      body: { mode: "disabled" },
    });
    expect(patch.status).toBe(404);
    expect((await call(getRule, { cookie: adminA, org: a.org.slug, params: { id: "not-a-uuid" } })).status).toBe(404);
  });

  it("PATCH changes the mode (audited) and a new spec makes version 2", async () => {
    const r = await create(adminA, a.org.slug, { name: "patchable", spec: { condition: "true" } });
    const p = await call(patchRule, {
      method: "PATCH",
      cookie: adminA,
      org: a.org.slug,
      params: { id: r.json.id },
      body: { mode: "active", spec: { condition: 'action == "auth.sign_in"' } },
    });
    expect(p.status).toBe(200);
    expect(p.json).toMatchObject({ mode: "active", version: 2 });
    const g = await call(getRule, { cookie: adminA, org: a.org.slug, params: { id: r.json.id } });
    expect(g.json.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
  });

  it("test and backtest run the engine over the trail without writing anything", async () => {
    const t = await createTestOrg("api-alerts-bt");
    const cookie = (await sessionCookie(t.users.admin.id)).cookie;
    await publishPolicy(t, [{ name: "no", condition: 'tool == "forbidden"', effect: "deny" }]);
    const agent = await createAgentWithKey(t, { tools: { allowed: ["forbidden"] } });
    for (let i = 0; i < 12; i++) {
      await call(submitAction, {
        method: "POST",
        headers: bearer(agent.token),
        body: { tool: "forbidden", operation: "x" },
      });
    }
    const spec = { ...templateById("agent_denied")!.spec, cooldown_seconds: 0 };
    await expectNothingWritten(t.org.id, async () => {
      const bt = await call(backtestRoute, { method: "POST", cookie, org: t.org.slug, body: { spec, days: 1 } });
      expect(bt.status).toBe(200);
      expect(bt.json.firings).toHaveLength(1);
      expect(bt.json.firings[0].triggering).toHaveLength(10);
      expect(bt.json.matched).toBe(12);
      const tr = await call(testRoute, {
        method: "POST",
        cookie,
        org: t.org.slug,
        body: { spec: { condition: "data.nope > 1", actions: ["action.decided"] }, limit: 50 },
      });
      expect(tr.status).toBe(200);
      expect(tr.json.errors.length).toBeGreaterThan(0);
      const bad = await call(backtestRoute, { method: "POST", cookie, org: t.org.slug, body: { spec, days: 365 } });
      expect(bad.status).toBe(422);
    });
  });
});

describe("silences, inbox, reinstating keys", () => {
  it("a silence needs a reason and a duration; ending one from another organization is 404", async () => {
    const bad = await call(createSilenceRoute, {
      method: "POST",
      cookie: adminA,
      org: a.org.slug,
      body: { reason: "", duration_seconds: 5 },
    });
    expect(bad.status).toBe(422);
    const s = await call(createSilenceRoute, {
      method: "POST",
      cookie: adminA,
      org: a.org.slug,
      body: { reason: "deploy", duration_seconds: 600 },
    });
    expect(s.status).toBe(201);
    expect(s.json).toMatchObject({ reason: "deploy", active: true });
    const cross = await call(endSilenceRoute, {
      method: "DELETE",
      cookie: adminB,
      org: b.org.slug,
      params: { id: s.json.id },
    });
    expect(cross.status).toBe(404);
    const end = await call(endSilenceRoute, {
      method: "DELETE",
      cookie: adminA,
      org: a.org.slug,
      params: { id: s.json.id },
    });
    expect(end.status).toBe(204);
  });

  it("the inbox is per person; marking read lowers the count; API keys have none", async () => {
    const t = await createTestOrg("api-alerts-inbox");
    const cookie = (await sessionCookie(t.users.admin.id)).cookie;
    await create(cookie, t.org.slug, {
      name: "keys made",
      mode: "active",
      spec: {
        actions: ["api_key.created"],
        condition: "true",
        responses: [{ type: "notify", recipients: ["admins"] }],
      },
    });
    await createKey(t);
    await evaluateOrganization(t.org.id);
    const inbox = await call(inboxRoute, { cookie, org: t.org.slug });
    expect(inbox.json.unread).toBe(1);
    expect(inbox.json.pending_approvals).toBe(0);
    const read = await call(readRoute, {
      method: "POST",
      cookie,
      org: t.org.slug,
      body: { id: inbox.json.items[0].id },
    });
    expect(read.json.unread).toBe(0);
    const approver = (await sessionCookie(t.users.approver.id)).cookie;
    expect((await call(inboxRoute, { cookie: approver, org: t.org.slug })).json.items).toHaveLength(0);
  });

  it("a suspended key is refused until an admin reinstates it (audited)", async () => {
    const key = await createKey(a, { scopes: ["dashboard:read"] });
    await owner().query(`UPDATE api_keys SET suspended_at = now() WHERE id = $1`, [key.id]);
    const refused = await call(whoami, { headers: bearer(key.token) });
    expect(refused.status).toBe(401);
    expect(refused.json.detail).toMatch(/suspended/);
    const r = await call(reinstateRoute, { method: "POST", cookie: adminA, org: a.org.slug, params: { id: key.id } });
    expect(r.json).toEqual({ id: key.id, reinstated: true });
    expect((await call(whoami, { headers: bearer(key.token) })).status).toBe(200);
    const cross = await call(reinstateRoute, {
      method: "POST",
      cookie: adminB,
      org: b.org.slug,
      params: { id: key.id },
    });
    expect(cross.status).toBe(404);
  });

  it("a throttled key gets the lower limit; the first refusal in a window is audited once", async () => {
    const key = await createKey(a, { scopes: ["dashboard:read"] });
    await owner().query(
      `UPDATE api_keys SET throttle_per_minute = 2, throttled_until = now() + interval '5 minutes' WHERE id = $1`,
      [key.id],
    );
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(whoami, { headers: bearer(key.token) })).status);
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    await new Promise((r) => setTimeout(r, 300));
    const ev = await owner().query(
      `SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1 AND action = 'api_key.rate_limited' AND target_id = $2`,
      [a.org.id, key.id],
    );
    expect(ev.rows[0].n).toBe(1);
  });

  it("a key used from a second address is recorded once as api_key.new_address", async () => {
    const key = await createKey(a, { scopes: ["dashboard:read"] });
    const from = (ip: string) => call(whoami, { headers: { ...bearer(key.token), "x-warden-client-ip": ip } });
    await from("192.0.2.10");
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all([from("192.0.2.20"), from("192.0.2.20"), from("192.0.2.20")]);
    await new Promise((r) => setTimeout(r, 300));
    const ev = await owner().query(
      `SELECT ip FROM audit_events WHERE org_id = $1 AND action = 'api_key.new_address' AND target_id = $2`,
      [a.org.id, key.id],
    );
    expect(ev.rows.map((r) => r.ip)).toEqual(["192.0.2.20"]);
  });
});
