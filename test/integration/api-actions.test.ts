import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as list, POST as submit } from "@/app/api/v1/actions/route";
import { GET as getAction } from "@/app/api/v1/actions/[id]/route";
import { POST as approve } from "@/app/api/v1/approvals/[id]/approve/route";
import { updateAgent } from "@/lib/agents/agents";
import { encryptionKeyring } from "@/lib/config/crypto";
import { closeDb } from "@/lib/db/client";
import { decrypt } from "@/lib/security/keyring";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, publishPolicy, type TestAgent } from "../helpers/firewall";
import { call, sessionCookie } from "../helpers/http";
import { bearer, createKey, memberContext } from "../helpers/keys";

let t: TestOrg;
let other: TestOrg;
let agent: TestAgent;

const POLICY = [
  {
    name: "Refunds need two",
    condition: 'tool == "payments" && operation == "refund"',
    effect: "require_approval" as const,
    risk_level: "high" as const,
    approvals_required: 2,
  },
  {
    name: "Big payments",
    condition: 'tool == "payments" && has(params.amount) && params.amount > 1000.0',
    effect: "require_approval" as const,
    risk_level: "critical" as const,
    approval_ttl_seconds: 600,
  },
  {
    name: "No prod deletes",
    condition: 'env == "production" && operation.startsWith("delete")',
    effect: "deny" as const,
    reason: "No deletes in production",
  },
  { name: "Payments", condition: 'tool == "payments"', effect: "allow" as const },
  { name: "Search", condition: 'tool == "search"', effect: "allow" as const },
];

beforeAll(async () => {
  [t, other] = await Promise.all([createTestOrg("acts"), createTestOrg("acts-other")]);
  await publishPolicy(t, POLICY);
  agent = await createAgentWithKey(t, {
    tools: { allowed: ["payments", "files"], denied: ["shell"], require_approval: ["search"] },
  });
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const send = (token: string, body: unknown, headers: Record<string, string> = {}) =>
  call(submit, { method: "POST", headers: { ...bearer(token), ...headers }, body });
const events = async (actionId: string) =>
  (
    await owner().query(
      `SELECT action, data, actor_type, actor_id FROM audit_events WHERE org_id = $1 AND target_id = $2 ORDER BY seq`,
      [t.org.id, actionId],
    )
  ).rows;
const actionCount = async () =>
  (await owner().query(`SELECT count(*)::int AS n FROM actions WHERE org_id = $1`, [t.org.id])).rows[0].n as number;

describe("POST /api/v1/actions — decisions", () => {
  it("201 allow: first matching rule, recorded with its audit events", async () => {
    const res = await send(agent.token, {
      tool: "payments",
      operation: "create",
      params: { amount: 20, currency: "EUR" },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      status: "allowed",
      decision: "allow",
      risk_level: "low",
      rule: { index: 3, name: "Payments" },
      approval: null,
      agent: { slug: agent.slug },
    });
    expect(res.headers.get("location")).toBe(`/api/v1/actions/${res.json.id}`);
    const ev = await events(res.json.id);
    expect(ev.map((e) => e.action)).toEqual(["action.submitted", "action.decided"]);
    expect(ev[0]).toMatchObject({
      actor_type: "api_key",
      actor_id: agent.keyId,
      data: {
        agent_id: agent.id,
        agent_slug: agent.slug,
        tool: "payments",
        operation: "create",
        payload_hash: res.json.payload_hash,
      },
    });
    expect(ev[1].data).toMatchObject({
      effect: "allow",
      risk_level: "low",
      policy_version: res.json.policy_version,
      rule: { index: 3, name: "Payments", condition: 'tool == "payments"' },
    });
  });

  it("201 deny by policy rule, with its reason", async () => {
    const res = await send(agent.token, { tool: "payments", operation: "delete_customer" });
    expect(res.json).toMatchObject({
      status: "denied",
      decision: "deny",
      reason: "No deletes in production",
      rule: { name: "No prod deletes" },
    });
  });

  it("201 require_approval: an approval with quorum and expiry from the rule", async () => {
    const res = await send(agent.token, { tool: "payments", operation: "create", params: { amount: 5000 } });
    expect(res.json).toMatchObject({
      status: "pending",
      decision: "require_approval",
      risk_level: "critical",
      approval: { required: 1 },
    });
    const exp = new Date(res.json.approval.expires_at).getTime();
    expect(exp).toBeGreaterThan(Date.now() + 590_000);
    expect(exp).toBeLessThan(Date.now() + 610_000);
    const refund = await send(agent.token, { tool: "payments", operation: "refund", params: { amount: 1 } });
    expect(refund.json.approval.required).toBe(2);
    expect((await events(refund.json.id)).map((e) => e.action)).toEqual([
      "action.submitted",
      "action.decided",
      "approval.requested",
    ]);
  });

  it("the tool registry is checked before the policy: denied and unknown tools never reach it", async () => {
    const denied = await send(agent.token, { tool: "shell", operation: "run" });
    expect(denied.json).toMatchObject({
      status: "denied",
      rule: null,
      reason: expect.stringContaining("denied for agent"),
    });
    const unknown = await send(agent.token, { tool: "email", operation: "send" });
    expect(unknown.json).toMatchObject({
      status: "denied",
      rule: null,
      reason: expect.stringContaining("not in agent"),
    });
    // "files" is allowed by the registry but no rule matches: default deny.
    const nomatch = await send(agent.token, { tool: "files", operation: "read" });
    expect(nomatch.json).toMatchObject({ status: "denied", rule: null, reason: "No rule matched (default deny)" });
  });

  it("a registry require_approval raises a policy allow to require_approval", async () => {
    const res = await send(agent.token, { tool: "search", operation: "query" });
    expect(res.json).toMatchObject({
      status: "pending",
      decision: "require_approval",
      risk_level: "medium",
      rule: { name: "Search" },
    });
  });
});

describe("sensitive data", () => {
  it("redacts secret-named fields and PII for storage and display; the original is encrypted, bound to the action", async () => {
    const params = {
      amount: 12,
      api_key: "sk_live_abc",
      note: "mail jane@example.com, card 4111 1111 1111 1111",
      nested: { Password: "p" },
    };
    const res = await send(agent.token, { tool: "payments", operation: "create", params, context: { token: "t" } });
    const view = await call(getAction, { headers: bearer(agent.token), params: { id: res.json.id } });
    expect(view.json.params).toEqual({
      amount: 12,
      api_key: "[REDACTED]",
      note: "mail [REDACTED:email], card [REDACTED:card]",
      nested: { Password: "[REDACTED]" },
    });
    expect(view.json.context).toEqual({ token: "[REDACTED]" });
    const row = (
      await owner().query(`SELECT params_redacted, params_encrypted, redacted_paths FROM actions WHERE id = $1`, [
        res.json.id,
      ])
    ).rows[0];
    expect(JSON.stringify(row.params_redacted)).not.toContain("sk_live_abc");
    expect(row.params_encrypted).toMatch(/^v1\./);
    expect(row.params_encrypted).not.toContain("sk_live");
    expect(row.redacted_paths).toEqual(
      expect.arrayContaining(["/params/api_key", "/params/note", "/params/nested/Password", "/context/token"]),
    );
    const original = JSON.parse(decrypt(encryptionKeyring(), row.params_encrypted, res.json.id));
    expect(original.params).toEqual(params);
    expect(() => decrypt(encryptionKeyring(), row.params_encrypted, randomUUID())).toThrow();
    const audit = JSON.stringify(await events(res.json.id));
    expect(audit).not.toContain("sk_live_abc");
    expect(audit).not.toContain("jane@example.com");
  });

  it("an organization's own sensitive key names are redacted too", async () => {
    const t2 = await createTestOrg("acts-keys");
    await owner().query(`UPDATE organizations SET sensitive_keys = '{iban}' WHERE id = $1`, [t2.org.id]);
    await publishPolicy(t2, [{ name: "all", condition: "true", effect: "allow" }]);
    const a2 = await createAgentWithKey(t2, { tools: { allowed: ["payments"] } });
    const res = await send(a2.token, { tool: "payments", operation: "x", params: { iban: "DE89370400440532013000" } });
    const row = (await owner().query(`SELECT params_redacted FROM actions WHERE id = $1`, [res.json.id])).rows[0];
    expect(row.params_redacted).toEqual({ iban: "[REDACTED]" });
  });
});

describe("idempotency", () => {
  it("same key + same body → the same response and one action", async () => {
    const key = randomUUID();
    const body = { tool: "payments", operation: "create", params: { amount: 7 } };
    const before = await actionCount();
    const first = await send(agent.token, body, { "idempotency-key": key });
    const second = await send(agent.token, body, { "idempotency-key": key });
    expect(second.status).toBe(201);
    expect(second.json).toEqual(first.json);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await actionCount()).toBe(before + 1);
  });

  it("same key + different body → 422, nothing written", async () => {
    const key = randomUUID();
    await send(
      agent.token,
      { tool: "payments", operation: "create", params: { amount: 7 } },
      { "idempotency-key": key },
    );
    const before = await actionCount();
    const res = await send(
      agent.token,
      { tool: "payments", operation: "create", params: { amount: 8 } },
      { "idempotency-key": key },
    );
    expect(res.status).toBe(422);
    expect(await actionCount()).toBe(before);
  });

  it("a retry while the first is in flight → 409", async () => {
    const key = randomUUID();
    // Hold the idempotency lock in another transaction, as an in-flight first request would.
    const c = await owner().connect();
    try {
      await c.query("BEGIN");
      await c.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`action:${t.org.id}:${agent.id}:${key}`]);
      const res = await send(
        agent.token,
        { tool: "payments", operation: "create", params: { amount: 1 } },
        { "idempotency-key": key },
      );
      expect(res.status).toBe(409);
    } finally {
      await c.query("ROLLBACK");
      c.release();
    }
    expect(
      (
        await send(
          agent.token,
          { tool: "payments", operation: "create", params: { amount: 1 } },
          { "idempotency-key": key },
        )
      ).status,
    ).toBe(201);
  });

  it("concurrent requests with one key create one action", async () => {
    const key = randomUUID();
    const body = { tool: "payments", operation: "create", params: { amount: 3 } };
    const before = await actionCount();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => send(agent.token, body, { "idempotency-key": key })),
    );
    expect(results.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(await actionCount()).toBe(before + 1);
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.json.id));
    expect(ids.size).toBe(1);
  });

  it("422 for a malformed Idempotency-Key", async () => {
    expect(
      (await send(agent.token, { tool: "payments", operation: "x" }, { "idempotency-key": "has space" })).status,
    ).toBe(422);
  });
});

describe("POST /api/v1/actions — refusals", () => {
  it("401 without a key, with a wrong key, or with a revoked key", async () => {
    expect((await call(submit, { method: "POST", body: { tool: "payments", operation: "x" } })).status).toBe(401);
    expect((await send("wdn_live_nope", { tool: "payments", operation: "x" })).status).toBe(401);
    const a = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
    await owner().query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [a.keyId]);
    expect((await send(a.token, { tool: "payments", operation: "x" })).status).toBe(401);
  });

  it("403 for a browser session, a key without actions:submit, a key bound to no agent, a disabled agent, a key of the wrong environment", async () => {
    const cookie = (await sessionCookie(t.users.admin.id)).cookie;
    expect(
      (await call(submit, { method: "POST", cookie, org: t.org.slug, body: { tool: "payments", operation: "x" } }))
        .status,
    ).toBe(403);
    const readOnly = await createAgentWithKey(t, { tools: { allowed: ["payments"] }, scopes: ["actions:read"] });
    expect((await send(readOnly.token, { tool: "payments", operation: "x" })).status).toBe(403);
    const unbound = await createKey(t, { scopes: ["actions:submit"] });
    expect((await send(unbound.token, { tool: "payments", operation: "x" })).json.detail).toMatch(
      /not bound to an agent/,
    );
    const disabled = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
    await updateAgent(memberContext(t), disabled.slug, { disabled: true });
    expect((await send(disabled.token, { tool: "payments", operation: "x" })).json.detail).toMatch(/disabled/);
    const dev = await createAgentWithKey(t, { tools: { allowed: ["payments"] }, environment: "development" });
    await updateAgent(memberContext(t), dev.slug, { environment: "production" });
    expect((await send(dev.token, { tool: "payments", operation: "x" })).json.detail).toMatch(/needs a live key/);
  });

  it.each([
    [{ tool: "Payments!", operation: "x" }],
    [{ tool: "payments", operation: "" }],
    [{ tool: "payments", operation: "x", params: [1, 2] }],
    [{ tool: "payments", operation: "x", params: "a=1" }],
    [{ tool: "payments", operation: "x", extra: true }],
    [[]],
    [null],
  ])("422 for %j; nothing written", async (body) => {
    const before = await actionCount();
    const res = await send(agent.token, body);
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await actionCount()).toBe(before);
  });

  it("422 for deep nesting, 413 for oversized params, 400 for malformed JSON, 415 for a form post", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect((await send(agent.token, { tool: "payments", operation: "x", params: { deep } })).status).toBe(422);
    expect(
      (await send(agent.token, { tool: "payments", operation: "x", params: { blob: "x".repeat(70_000) } })).status,
    ).toBe(413);
    expect(
      (
        await call(submit, {
          method: "POST",
          headers: { ...bearer(agent.token), "content-type": "application/json" },
          rawBody: "{",
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call(submit, {
          method: "POST",
          headers: { ...bearer(agent.token), "content-type": "application/x-www-form-urlencoded" },
          rawBody: "tool=x",
        })
      ).status,
    ).toBe(415);
  });

  it("422 for text that has no canonical JSON form (a lone surrogate), nothing written", async () => {
    const before = await actionCount();
    const res = await send(agent.token, { tool: "payments", operation: "x", params: { note: "\ud800" } });
    expect(res.status).toBe(422);
    expect(await actionCount()).toBe(before);
  });

  it("429 with headers once the agent's per-minute limit or daily budget is spent", async () => {
    const limited = await createAgentWithKey(t, { tools: { allowed: ["payments"] }, rate_limit_per_minute: 2 });
    expect((await send(limited.token, { tool: "payments", operation: "x" })).status).toBe(201);
    expect((await send(limited.token, { tool: "payments", operation: "x" })).status).toBe(201);
    const res = await send(limited.token, { tool: "payments", operation: "x" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBeTruthy();
    expect(res.headers.get("ratelimit-policy")).toContain('"agent";q=2;w=60');
    const budget = await createAgentWithKey(t, { tools: { allowed: ["payments"] }, daily_budget: 1 });
    expect((await send(budget.token, { tool: "payments", operation: "x" })).status).toBe(201);
    const spent = await send(budget.token, { tool: "payments", operation: "x" });
    expect(spent.status).toBe(429);
    expect(spent.json.detail).toMatch(/daily budget/);
  });
});

describe("GET /api/v1/actions/{id}", () => {
  it("404 for another organization's action and for another agent's action; 404 for a malformed id", async () => {
    const mine = await send(agent.token, { tool: "payments", operation: "create", params: { amount: 1 } });
    await publishPolicy(other, [{ name: "all", condition: "true", effect: "allow" }]);
    const stranger = await createAgentWithKey(other, { tools: { allowed: ["payments"] } });
    expect((await call(getAction, { headers: bearer(stranger.token), params: { id: mine.json.id } })).status).toBe(404);
    const sibling = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
    expect((await call(getAction, { headers: bearer(sibling.token), params: { id: mine.json.id } })).status).toBe(404);
    expect((await call(getAction, { headers: bearer(agent.token), params: { id: "nope" } })).status).toBe(404);
    // people of the organization see every agent's actions
    const cookie = (await sessionCookie(t.users.viewer.id)).cookie;
    expect((await call(getAction, { cookie, org: t.org.slug, params: { id: mine.json.id } })).status).toBe(200);
  });

  it("?wait long-polls until an approver decides", async () => {
    const pending = await send(agent.token, { tool: "payments", operation: "create", params: { amount: 2000 } });
    const started = Date.now();
    const waiting = call(getAction, {
      headers: bearer(agent.token),
      params: { id: pending.json.id },
      path: `/api/v1/actions/${pending.json.id}?wait=20`,
    });
    await new Promise((r) => setTimeout(r, 400));
    const approver = (await sessionCookie(t.users.approver.id)).cookie;
    const decided = await call(approve, {
      method: "POST",
      cookie: approver,
      org: t.org.slug,
      params: { id: pending.json.approval.id },
      body: { reason: "ok" },
    });
    expect(decided.status).toBe(200);
    const res = await waiting;
    expect(res.json.status).toBe("approved");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("?wait returns the pending state when the time is up; 422 beyond 30 s", async () => {
    const pending = await send(agent.token, { tool: "payments", operation: "create", params: { amount: 3000 } });
    const res = await call(getAction, {
      headers: bearer(agent.token),
      params: { id: pending.json.id },
      path: `/api/v1/actions/${pending.json.id}?wait=1`,
    });
    expect(res.json.status).toBe("pending");
    const bad = await call(getAction, {
      headers: bearer(agent.token),
      params: { id: pending.json.id },
      path: `/api/v1/actions/${pending.json.id}?wait=31`,
    });
    expect(bad.status).toBe(422);
  });
});

describe("GET /api/v1/actions", () => {
  it("lists the caller's view: an agent key sees its own agent's actions only", async () => {
    const sibling = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
    await send(sibling.token, { tool: "payments", operation: "create" });
    const res = await call(list, { headers: bearer(sibling.token) });
    expect(res.status).toBe(200);
    expect(res.json.actions.length).toBe(1);
    const cookie = (await sessionCookie(t.users.viewer.id)).cookie;
    const all = await call(list, { cookie, org: t.org.slug, path: "/api/v1/actions?status=pending&limit=5" });
    expect(all.json.actions.length).toBeGreaterThan(0);
    expect(all.json.actions.every((a: { status: string }) => a.status === "pending")).toBe(true);
    expect((await call(list, { cookie, org: t.org.slug, path: "/api/v1/actions?status=bogus" })).status).toBe(422);
  });

  it("pages by cursor: actions sharing one timestamp are each listed exactly once, newest first", async () => {
    const agent = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push((await send(agent.token, { tool: "payments", operation: "create", params: { i } })).json.id);
    // Five of them at the very same microsecond: a timestamp cursor would skip or repeat some.
    await owner().query(`UPDATE actions SET created_at = '2026-01-01T00:00:00.123456Z' WHERE id = ANY($1::uuid[])`, [
      ids.slice(1, 6),
    ]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call(list, {
        headers: bearer(agent.token),
        path: `/api/v1/actions?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      });
      expect(res.status).toBe(200);
      seen.push(...res.json.actions.map((a: { id: string }) => a.id));
      cursor = res.json.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(7);
    expect([...seen].sort()).toEqual([...ids].sort());
    // Newest first: the two untouched actions (created now) before the five moved into the past.
    expect(new Set(seen.slice(0, 2))).toEqual(new Set([ids[0], ids[6]]));
  });

  it("422 for a cursor that names no action of the caller's organization", async () => {
    const theirs = await createAgentWithKey(other, { tools: { allowed: ["payments"] } });
    const foreign = (await send(theirs.token, { tool: "payments", operation: "create" })).json.id;
    const cookie = (await sessionCookie(t.users.viewer.id)).cookie;
    for (const c of [foreign, "7d444840-9dc0-11d1-b245-5ffdce74fad2"]) {
      const res = await call(list, { cookie, org: t.org.slug, path: `/api/v1/actions?cursor=${c}` });
      expect(res.status).toBe(422);
      expect(res.json.errors[0].path).toBe("cursor");
    }
    expect((await call(list, { cookie, org: t.org.slug, path: "/api/v1/actions?cursor=not-a-uuid" })).status).toBe(422);
  });
});
