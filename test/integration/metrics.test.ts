import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as submit } from "@/app/api/v1/actions/route";
import { POST as approve } from "@/app/api/v1/approvals/[id]/approve/route";
import { GET as scrape } from "@/app/metrics/route";
import { closeDb } from "@/lib/db/client";
import { closeOwner } from "../helpers/db";
import { createAgentWithKey, publishPolicy, type TestAgent } from "../helpers/firewall";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";
import { bearer } from "../helpers/keys";

const TOKEN = "metrics-scrape-token-0123456789-abcdefghij";
process.env.METRICS_TOKEN = TOKEN;

let t: TestOrg;
let agent: TestAgent;
const ids: string[] = [];

const read = async () => {
  const res = await call(scrape, { headers: bearer(TOKEN), path: "/metrics" });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.json as string;
};
/** The value of one sample line, e.g. value(text, 'warden_api_key_verifications_total{result="valid"}'). */
const value = (text: string, sample: string): number => {
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
};

beforeAll(async () => {
  t = await createTestOrg("metrics");
  agent = await createAgentWithKey(t, { tools: { allowed: ["files", "payments"] } });
  await publishPolicy(t, [
    { name: "pay", condition: 'tool == "payments"', effect: "require_approval", risk_level: "high" },
    { name: "files", condition: 'tool == "files"', effect: "allow" },
  ]);
  ids.push(t.org.id, agent.id, agent.keyId, ...Object.values(t.users).map((u) => u.id));
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

describe("GET /metrics", () => {
  it("refuses a scraper without the token, or with another one (401, problem+json, nothing exposed)", async () => {
    const none = await call(scrape, { path: "/metrics" });
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toMatch(/problem\+json/);
    expect(none.headers.get("www-authenticate")).toMatch(/Bearer/);
    expect(JSON.stringify(none.json)).not.toMatch(/warden_/);
    for (const wrong of [`${TOKEN}x`, TOKEN.slice(1), "", TOKEN.toUpperCase()]) {
      const res = await call(scrape, { path: "/metrics", headers: { authorization: `Bearer ${wrong}` } });
      expect(res.status).toBe(401);
    }
    // An API key is not a scrape token.
    expect((await call(scrape, { path: "/metrics", headers: bearer(agent.token) })).status).toBe(401);
  });

  it("counts decisions, key verifications, policy evaluation and requests by route template, with no ids", async () => {
    const before = await read();
    const allowed = await call(submit, {
      method: "POST",
      path: "/api/v1/actions",
      headers: bearer(agent.token),
      body: { tool: "files", operation: "read", params: {} },
    });
    expect(allowed.status).toBe(201);
    const pending = await call(submit, {
      method: "POST",
      path: "/api/v1/actions",
      headers: bearer(agent.token),
      body: { tool: "payments", operation: "pay", params: { amount: 5 } },
    });
    expect(pending.json.status).toBe("pending");
    ids.push(allowed.json.id, pending.json.id, pending.json.approval.id);
    const bad = await call(submit, {
      method: "POST",
      path: "/api/v1/actions",
      // The last character changed (to one it is not): the checksum no longer matches.
      headers: bearer(`${agent.token.slice(0, -1)}${agent.token.endsWith("x") ? "y" : "x"}`),
      body: { tool: "files", operation: "read", params: {} },
    });
    expect(bad.status).toBe(401);

    const after = await read();
    const delta = (s: string) => value(after, s) - value(before, s);
    expect(delta('warden_action_decisions_total{effect="allow",environment="production",decided_by="policy"}')).toBe(1);
    expect(
      delta('warden_action_decisions_total{effect="require_approval",environment="production",decided_by="policy"}'),
    ).toBe(1);
    expect(delta('warden_api_key_verifications_total{result="valid"}')).toBe(2);
    expect(
      delta('warden_api_key_verifications_total{result="bad_checksum"}') +
        delta('warden_api_key_verifications_total{result="invalid_secret"}'),
    ).toBe(1);
    expect(delta("warden_policy_evaluation_duration_seconds_count")).toBe(2);
    expect(delta("warden_audit_append_duration_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(
      delta('warden_http_request_duration_seconds_count{route="/api/v1/actions",method="POST",status="201"}'),
    ).toBe(2);
    expect(
      delta('warden_http_request_duration_seconds_count{route="/api/v1/actions",method="POST",status="401"}'),
    ).toBe(1);
    expect(value(after, "warden_approvals_pending")).toBeGreaterThanOrEqual(1);
    expect(value(after, "warden_approval_oldest_pending_seconds")).toBeGreaterThanOrEqual(0);
    expect(after).toMatch(/^warden_build_info\{version="[^"]+",node_version="v\d+/m);
    expect(after).toMatch(/^process_cpu_seconds_total /m);
    for (const id of ids) expect(after).not.toContain(id);
    expect(after).not.toContain(agent.token);
    expect(after).not.toContain(t.org.slug);
  });

  it("labels a route by its template and observes how long an approval waited", async () => {
    const pending = await call(submit, {
      method: "POST",
      path: "/api/v1/actions",
      headers: bearer(agent.token),
      body: { tool: "payments", operation: "pay", params: { amount: 6 } },
    });
    const approvalId = pending.json.approval.id as string;
    const before = await read();
    const approver = (await sessionCookie(t.users.approver.id)).cookie;
    const res = await call(approve, {
      method: "POST",
      path: `/api/v1/approvals/${approvalId}/approve`,
      cookie: approver,
      org: t.org.slug,
      params: { id: approvalId },
      body: { reason: "checked the payee" },
    });
    expect(res.status).toBe(200);
    expect(res.json.approval.status).toBe("approved");
    const after = await read();
    const delta = (s: string) => value(after, s) - value(before, s);
    expect(
      delta(
        'warden_http_request_duration_seconds_count{route="/api/v1/approvals/[id]/approve",method="POST",status="200"}',
      ),
    ).toBe(1);
    expect(delta('warden_approval_wait_seconds_count{outcome="approved"}')).toBe(1);
    expect(after).not.toContain(approvalId);
  });
});

describe("GET /metrics without METRICS_TOKEN", () => {
  it("is 404, as if the route did not exist", async () => {
    vi.resetModules();
    delete process.env.METRICS_TOKEN;
    const { GET } = await import("@/app/metrics/route");
    const res = await call(GET, { path: "/metrics", headers: bearer("anything-at-all-anything-at-all-anything") });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/problem\+json/);
  });
});
