import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as list, POST as create } from "@/app/api/v1/agents/route";
import { GET as get, PATCH as patch } from "@/app/api/v1/agents/[slug]/route";
import { POST as createKey } from "@/app/api/v1/auth/api-keys/route";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, uniqueSlug, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";

let t: TestOrg;
let other: TestOrg;
let admin: string;
let viewer: string;
let otherAdmin: string;

beforeAll(async () => {
  [t, other] = await Promise.all([createTestOrg("agt"), createTestOrg("agt-other")]);
  admin = (await sessionCookie(t.users.admin.id)).cookie;
  viewer = (await sessionCookie(t.users.viewer.id)).cookie;
  otherAdmin = (await sessionCookie(other.users.admin.id)).cookie;
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const body = (over: Record<string, unknown> = {}) => ({
  slug: uniqueSlug("bot"),
  name: "Billing bot",
  environment: "production",
  tools: { allowed: ["payments", "http_proxy"], denied: ["shell"], require_approval: ["payments.refund"] },
  ...over,
});
const headSeq = async () =>
  Number((await owner().query(`SELECT seq FROM audit_heads WHERE org_id = $1`, [t.org.id])).rows[0].seq);

describe("POST /api/v1/agents", () => {
  it("201 creates the agent with its registry, audited", async () => {
    const b = body({ rate_limit_per_minute: 60, daily_budget: 1000 });
    const res = await call(create, { method: "POST", cookie: admin, org: t.org.slug, body: b });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      slug: b.slug,
      environment: "production",
      tools: b.tools,
      rate_limit_per_minute: 60,
      daily_budget: 1000,
      disabled: false,
    });
    expect(res.json.tools_by_environment.development).toEqual({ allowed: [], denied: [], require_approval: [] });
    const ev = (
      await owner().query(`SELECT action FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`, [t.org.id])
    ).rows[0];
    expect(ev.action).toBe("agent.created");
  });
  it("409 for a taken slug; the same slug in another organization is fine", async () => {
    const b = body();
    expect((await call(create, { method: "POST", cookie: admin, org: t.org.slug, body: b })).status).toBe(201);
    expect((await call(create, { method: "POST", cookie: admin, org: t.org.slug, body: b })).status).toBe(409);
    expect((await call(create, { method: "POST", cookie: otherAdmin, org: other.org.slug, body: b })).status).toBe(201);
  });
  it.each([
    [{ slug: "Bad Slug" }],
    [{ environment: "staging" }],
    [{ tools: { allowed: ["payments"], denied: ["payments"], require_approval: [] } }],
    [{ tools: { allowed: ["Payments!"] } }],
    [{ rate_limit_per_minute: 0 }],
    [{ unknown_field: 1 }],
  ])("422 for %j; nothing written", async (over) => {
    const seq = await headSeq();
    const res = await call(create, { method: "POST", cookie: admin, org: t.org.slug, body: body(over) });
    expect(res.status).toBe(422);
    expect(await headSeq()).toBe(seq);
  });
  it("401 / 403 for a viewer", async () => {
    expect((await call(create, { method: "POST", org: t.org.slug, body: body() })).status).toBe(401);
    expect((await call(create, { method: "POST", cookie: viewer, org: t.org.slug, body: body() })).status).toBe(403);
  });
});

describe("GET /api/v1/agents and /{slug}", () => {
  it("200 for a viewer (agents:read), listing this organization's agents only", async () => {
    const mine = await call(create, { method: "POST", cookie: admin, org: t.org.slug, body: body() });
    const res = await call(list, { cookie: viewer, org: t.org.slug });
    expect(res.status).toBe(200);
    expect(res.json.agents.some((a: { slug: string }) => a.slug === mine.json.slug)).toBe(true);
    const theirs = await call(list, { cookie: otherAdmin, org: other.org.slug });
    expect(theirs.json.agents.some((a: { id: string }) => a.id === mine.json.id)).toBe(false);
    expect((await call(get, { cookie: viewer, org: t.org.slug, params: { slug: mine.json.slug } })).status).toBe(200);
    expect(
      (await call(get, { cookie: otherAdmin, org: other.org.slug, params: { slug: mine.json.slug } })).status,
    ).toBe(404);
  });
});

describe("PATCH /api/v1/agents/{slug}", () => {
  it("200 updates, switching environment uses that environment's registry; the change is audited with before/after", async () => {
    const a = await call(create, { method: "POST", cookie: admin, org: t.org.slug, body: body() });
    const res = await call(patch, {
      method: "PATCH",
      cookie: admin,
      org: t.org.slug,
      params: { slug: a.json.slug },
      body: { environment: "development", tools: { allowed: ["http_proxy"] }, daily_budget: 5 },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      environment: "development",
      tools: { allowed: ["http_proxy"], denied: [], require_approval: [] },
      daily_budget: 5,
    });
    expect(res.json.tools_by_environment.production.allowed).toEqual(["payments", "http_proxy"]);
    const ev = (
      await owner().query(`SELECT action, data FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`, [
        t.org.id,
      ])
    ).rows[0];
    expect(ev).toMatchObject({
      action: "agent.updated",
      data: { changes: { environment: { from: "production", to: "development" } } },
    });
  });
  it("404 for another organization's agent; 403 for a viewer; 422 for an empty change", async () => {
    const a = await call(create, { method: "POST", cookie: admin, org: t.org.slug, body: body() });
    expect(
      (
        await call(patch, {
          method: "PATCH",
          cookie: otherAdmin,
          org: other.org.slug,
          params: { slug: a.json.slug },
          body: { name: "x" },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await call(patch, {
          method: "PATCH",
          cookie: viewer,
          org: t.org.slug,
          params: { slug: a.json.slug },
          body: { name: "x" },
        })
      ).status,
    ).toBe(403);
    expect(
      (await call(patch, { method: "PATCH", cookie: admin, org: t.org.slug, params: { slug: a.json.slug }, body: {} }))
        .status,
    ).toBe(422);
  });
});

describe("binding API keys to agents", () => {
  it("binds a key of the matching environment; refuses the wrong environment and another organization's agent", async () => {
    const a = await call(create, { method: "POST", cookie: admin, org: t.org.slug, body: body() });
    const ok = await call(createKey, {
      method: "POST",
      cookie: admin,
      org: t.org.slug,
      body: { name: "k", scopes: ["actions:submit"], agent_id: a.json.id },
    });
    expect(ok.status).toBe(201);
    expect(ok.json.key.agent_id).toBe(a.json.id);
    const wrongEnv = await call(createKey, {
      method: "POST",
      cookie: admin,
      org: t.org.slug,
      body: { name: "k", environment: "test", scopes: ["actions:submit"], agent_id: a.json.id },
    });
    expect(wrongEnv.status).toBe(422);
    const theirs = await call(create, { method: "POST", cookie: otherAdmin, org: other.org.slug, body: body() });
    const cross = await call(createKey, {
      method: "POST",
      cookie: admin,
      org: t.org.slug,
      body: { name: "k", scopes: ["actions:submit"], agent_id: theirs.json.id },
    });
    expect(cross.status).toBe(422);
    expect(cross.json.errors[0].path).toBe("agent_id");
  });
});
