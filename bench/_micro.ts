import { performance } from "node:perf_hooks";
import { POST as submit } from "../app/api/v1/actions/route";
import { POST as floor } from "../app/api/v1/bench/floor/route";
import { createAgent } from "../lib/agents/agents";
import { createApiKey } from "../lib/keys/create-api-key";
import { provisionMember } from "../lib/members/provision-member";
import { createOrganization } from "../lib/orgs/create-organization";
import { createPolicyDraft, publishPolicyVersion } from "../lib/policy/versions";
import { userContext } from "../lib/rbac/context";
process.env.WARDEN_BENCH_ROUTES = "1";
const slug = `m-${Date.now().toString(36)}`;
const org = await createOrganization({ slug, name: "m" });
const { userId } = await provisionMember({ orgId: org.id, email: `a@${slug}.test`, name: "a", role: "admin", password: "bench-password-123" });
const ctx = userContext({ requestId: "x", ip: null, userAgent: null, principal: { kind: "user", user: { sessionId: "00000000-0000-4000-8000-000000000000", userId, email: "", name: "", authMethods: [], createdAt: new Date() } }, org, role: "admin" });
const rules = Array.from({ length: 19 }, (_, i) => ({ name: `r${i}`, condition: `tool == "tool_${i}" && params.amount > ${i * 10}.0 && url_host_in(params.url, ["api-${i}.example.com"])`, effect: "deny" as const }));
rules.push({ name: "pay", condition: 'tool == "payments"', effect: "allow" as never });
const d = await createPolicyDraft(ctx, { rules }); await publishPolicyVersion(ctx, d.version);
const agent = await createAgent(ctx, { slug: "a", name: "a", environment: "production", tools: { allowed: ["payments"] } });
const key = await createApiKey(ctx, { name: "k", scopes: ["actions:submit"], agent_id: agent.id, rate_limit_per_minute: 100000 });
const body = JSON.stringify({ tool: "payments", operation: "create", params: { amount: 125.5, currency: "EUR", url: "https://api.example.com/pay", card_number: "4111 1111 1111 1111", api_key: "sk" }, context: { source_ip: "10.1.2.3" } });
async function time(label: string, fn: () => Promise<Response>, n = 400) {
  for (let i = 0; i < 40; i++) await fn();
  const s: number[] = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); const r = await fn(); await r.text(); if (r.status >= 300) throw new Error(String(r.status)); s.push(performance.now() - t); }
  s.sort((a, b) => a - b);
  console.log(label, "p50", s[n / 2]!.toFixed(2), "ms p90", s[Math.floor(n * 0.9)]!.toFixed(2), "p99", s[Math.floor(n * 0.99)]!.toFixed(2), "ms");
}
const ctxp = { params: Promise.resolve({}) };
await time("floor route in-process", () => floor(new Request("http://x/api/v1/bench/floor", { method: "POST" }), ctxp));
await time("actions route in-process", () => submit(new Request("http://x/api/v1/actions", { method: "POST", headers: { authorization: `Bearer ${key.token}`, "content-type": "application/json", "x-warden-client-ip": "127.0.0.1" }, body }), ctxp));
process.exit(0);
