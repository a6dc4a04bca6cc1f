import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db/client";
import { NEXT_METHODS } from "@/lib/http/methods";
import { closeOwner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, type TestAgent } from "../helpers/firewall";
import { BASE, sessionCookie } from "../helpers/http";
import { bearer } from "../helpers/keys";

/**
 * Property-based fuzzing (issue 10, part B) of every JSON route under
 * app/api/v1: arbitrary bodies and query strings — JSON of every shape, the
 * field names Warden's schemas use with values of the wrong type, strings with
 * NUL, lone surrogates and control characters, huge numbers, deep nesting,
 * bytes that are not JSON — sent by an organization's admin (and, on the agent
 * routes, by an agent's key) must never be answered 5xx. A failure prints the
 * route, the method and the shrunk input. Runs are few per route so the whole
 * file stays within a few seconds per hundred route-methods
 * (FUZZ_RUNS=n raises them for a longer local run).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 6);
const root = join(import.meta.dirname, "../..");
const v1 = join(root, "app/api/v1");

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return routeFiles(p);
    return name === "route.ts" ? [p] : [];
  });
}

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
type Route = { file: string; segments: string[]; handlers: Partial<Record<string, Handler>>; allow: string[] };

const FIELD_NAMES = [
  "name",
  "slug",
  "email",
  "role",
  "environment",
  "tool",
  "operation",
  "params",
  "rules",
  "description",
  "scopes",
  "expires_at",
  "expires_in_seconds",
  "ip_allowlist",
  "rate_limit_per_minute",
  "limit",
  "cursor",
  "from",
  "to",
  "action",
  "actor",
  "status",
  "format",
  "reason",
  "type",
  "kind",
  "token",
  "code",
  "password",
  "current_password",
  "new_password",
  "url",
  "secret",
  "channels",
  "condition",
  "threshold",
  "severity",
  "enabled",
  "disabled",
  "value",
  "values",
  "id",
  "ids",
  "version",
  "agent",
  "agent_id",
  "payload_hash",
  "duration_seconds",
  "recipients",
  "domain",
  "client_id",
  "client_secret",
  "mode",
  "which",
  "template",
  "http_allowed_domains",
  "sensitive_keys",
  "session_idle_timeout_seconds",
  "request_id",
  "step_up",
  "seq",
];

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\uD800",
    "x\uDC00y",
    "\u202E",
    "%00",
    "../../etc/passwd",
    "' OR 1=1 --",
    "<script>",
    "null",
    "NaN",
    "-1",
    "0",
    "1e309",
    "9".repeat(40),
    "*",
    "acme",
    "admin",
    "00000000-0000-0000-0000-000000000000",
    "2026-13-45T99:99:99Z",
    "a".repeat(5000),
  ),
);
const scalar = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -0, 1e308, 2 ** 31, -(2 ** 53)),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), text), tie("v"), { maxKeys: 4 }),
  ),
})).v;
const shapedObject = fc.dictionary(fc.constantFrom(...FIELD_NAMES), value, { maxKeys: 6 });

/** A raw request body: JSON of any shape, schema-shaped objects, or bytes that are not JSON. */
const body = fc.oneof(
  shapedObject.map((o) => JSON.stringify(o)),
  value.map((v) => JSON.stringify(v) ?? "null"),
  fc.constantFrom(
    "",
    "{",
    "[1,",
    '{"a":}',
    "nul",
    "\u0000",
    "[".repeat(5000) + "]".repeat(5000),
    `{"name":${"9".repeat(400)}}`,
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"x":1}}}',
  ),
  fc.string({ unit: "binary", maxLength: 200 }),
);
const query = fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), text), text, { maxKeys: 4 });
const param = fc.oneof(fc.uuid(), text, fc.constantFrom("1", "0", "-1", "999999999999999", "acme"));

let t: TestOrg;
let agent: TestAgent;
let routes: Route[] = [];

beforeAll(async () => {
  t = await createTestOrg("fuzz");
  agent = await createAgentWithKey(t, { tools: { allowed: ["files"] } });
  routes = await Promise.all(
    routeFiles(v1)
      .sort()
      .map(async (file) => {
        const handlers = (await import(/* @vite-ignore */ file)) as Partial<Record<string, Handler>>;
        const options = await handlers.OPTIONS!(new Request(`${BASE}/api/x`, { method: "OPTIONS" }), {
          params: Promise.resolve({}),
        });
        const allow = (options.headers.get("allow") ?? "").split(", ").filter((m) => m !== "OPTIONS" && m !== "HEAD");
        return {
          file: relative(root, file),
          segments: relative(join(root, "app"), file).split(sep).slice(0, -1),
          handlers,
          allow,
        };
      }),
  );
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function pathAndParams(segments: string[], values: string[]): { path: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  let i = 0;
  const parts = segments.map((s) => {
    const m = /^\[(\w+)\]$/.exec(s);
    if (!m) return s;
    // A URL cannot carry a lone surrogate (percent-decoding gives U+FFFD), so neither does a path parameter.
    const v = (values[i++ % values.length] ?? "x").replace(LONE_SURROGATE, "\uFFFD");
    params[m[1]!] = v;
    return encodeURIComponent(v);
  });
  return { path: `/${parts.join("/")}`, params };
}

describe("fuzzing every JSON route: never a 5xx", () => {
  it("finds the routes", () => {
    expect(routes.length).toBeGreaterThan(80);
    expect(routes.every((r) => r.allow.every((m) => (NEXT_METHODS as readonly string[]).includes(m)))).toBe(true);
  });

  it("bodies, query strings and path parameters, as an admin and as an agent", { timeout: 600_000 }, async () => {
    let calls = 0;
    for (const r of routes) {
      for (const method of r.allow) {
        const handler = r.handlers[method]!;
        // A fresh session per route: a route that signs the caller out must not blind the next one.
        const cookie = (await sessionCookie(t.users.admin.id)).cookie;
        await fc.assert(
          fc.asyncProperty(
            body,
            query,
            fc.array(param, { minLength: 1, maxLength: 3 }),
            fc.boolean(),
            async (raw, q, values, asAgent) => {
              const { path, params } = pathAndParams(r.segments, values);
              const search = new URLSearchParams(q).toString();
              const headers: Record<string, string> = {
                host: "localhost:3999",
                "x-warden-client-ip": "127.0.0.1",
                "content-type": "application/json",
                ...(asAgent ? bearer(agent.token) : { cookie, "x-warden-org": t.org.slug, origin: BASE }),
              };
              const hasBody = method !== "GET" && method !== "DELETE";
              const req = new Request(`${BASE}${path}${search ? `?${search}` : ""}`, {
                method,
                headers,
                body: hasBody ? raw : undefined,
              });
              calls++;
              const res = await handler(req, { params: Promise.resolve(params) });
              const text = await res.text();
              if (res.status >= 500) {
                throw new Error(`${method} ${r.file} → ${res.status}: ${text.slice(0, 300)}`);
              }
              if (res.status >= 400) expect(res.headers.get("content-type"), `${method} ${r.file}`).toMatch(/json/);
            },
          ),
          { numRuns: RUNS, endOnFailure: true },
        );
      }
    }
    expect(calls).toBeGreaterThan(routes.length * RUNS);
  });
});
