import { performance } from "node:perf_hooks";
import canonicalize from "canonicalize";
import { verifyApiKey } from "../lib/keys/verify-api-key";
import { redactParams } from "../lib/security/redact";
import { encrypt } from "../lib/security/keyring";
import { encryptionKeyring } from "../lib/config/crypto";
import { withTenantSql } from "../lib/db/sql";
import { appendAuditEvents } from "../lib/audit/append-event";
import { loadCompiledPolicy } from "../lib/actions/policy-cache";
import { decideAction } from "../lib/actions/decide";
import { db } from "../lib/db/client";
const token = process.argv[2]!;
const v = await verifyApiKey(token, { ip: "127.0.0.1", permission: "actions:submit" });
const key = v.key!;
const params = { amount: 125.5, currency: "EUR", url: "https://api.example.com/pay", card_number: "4111 1111 1111 1111", api_key: "sk" };
async function time(label: string, fn: () => Promise<unknown> | unknown, n = 300) {
  for (let i = 0; i < 30; i++) await fn();
  const s: number[] = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await fn(); s.push(performance.now() - t); }
  s.sort((a, b) => a - b);
  console.log(label.padEnd(30), "p50", s[n / 2]!.toFixed(3), "ms p90", s[Math.floor(n * 0.9)]!.toFixed(3));
}
await time("verifyApiKey", () => verifyApiKey(token, { ip: "127.0.0.1", permission: "actions:submit" }));
await time("redact", () => redactParams(params, {}));
await time("canonicalize", () => canonicalize({ tool: "payments", params }));
await time("encrypt", () => encrypt(encryptionKeyring(), JSON.stringify(params), "id"));
await time("tx empty", () => withTenantSql({ orgId: key.orgId }, async () => 1));
await time("tx + policy (cached)", () => withTenantSql({ orgId: key.orgId }, (sql) => loadCompiledPolicy(sql, key.activePolicy!.id)));
const pol = await withTenantSql({ orgId: key.orgId }, (sql) => loadCompiledPolicy(sql, key.activePolicy!.id));
await time("decide", () => decideAction({ registry: { allowed: ["payments"], denied: [], require_approval: [] }, policy: pol, policyVersion: 1, input: { agent: { slug: "a", name: "a", environment: "production" }, tool: "payments", operation: "create", params, context: {}, env: "production" } }));
await time("tx + audit 2 events", () => withTenantSql({ orgId: key.orgId }, (sql) => appendAuditEvents(sql, [{ orgId: key.orgId, actor: { type: "system", id: null }, action: "x.y", data: {} }, { orgId: key.orgId, actor: { type: "system", id: null }, action: "x.z", data: {} }])));
await time("tx + audit 1 event", () => withTenantSql({ orgId: key.orgId }, (sql) => appendAuditEvents(sql, [{ orgId: key.orgId, actor: { type: "system", id: null }, action: "x.y", data: {} }])));
await time("pool select 1", () => db().pool.query("SELECT 1"));
process.exit(0);
