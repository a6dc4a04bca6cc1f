import { expect, type Page } from "@playwright/test";

/**
 * Test setup through the REST API as the signed-in person of `page` (the
 * session cookie plus the Origin header the same-origin check wants) — never
 * through the database.
 */
export async function apiAs<T = unknown>(
  page: Page,
  method: "GET" | "POST" | "PATCH",
  path: string,
  data?: unknown,
  org = "acme",
): Promise<T> {
  const origin = new URL(page.url()).origin;
  const res = await page.request.fetch(path, {
    method,
    headers: { "x-warden-org": org, origin, ...(data === undefined ? {} : { "content-type": "application/json" }) },
    data: data === undefined ? undefined : JSON.stringify(data),
  });
  const body = await res.text();
  expect(res.ok(), `${method} ${path} → ${res.status()} ${body}`).toBe(true);
  return (body ? JSON.parse(body) : undefined) as T;
}

export function uniqueSlug(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

type Rule = {
  name: string;
  condition: string;
  effect: string;
  risk_level?: string;
  reason?: string;
  approvals_required?: number;
  approval_ttl_seconds?: number;
};

/**
 * Rules the firewall specs rely on, for agents whose slug starts with "e2e-".
 * Published once by e2e/firewall.setup.ts on top of whatever is active
 * (idempotent); the policy-editor spec builds its versions from the active
 * one and rolls back to it, so the rules stay in force for parallel specs.
 */
export const BASE_RULES: Rule[] = [
  {
    name: "E2E: approve large payments",
    condition:
      'agent.slug.startsWith("e2e-") && tool == "payments" && operation == "create_payment" && params.amount > 1000',
    effect: "require_approval",
    risk_level: "high",
    reason: "Payments over 1000 need an approver",
    approvals_required: 1,
    approval_ttl_seconds: 3600,
  },
  {
    name: "E2E: allow small payments",
    condition: 'agent.slug.startsWith("e2e-") && tool == "payments"',
    effect: "allow",
    risk_level: "low",
    reason: "Small payments are fine",
  },
];

export async function ensureBasePolicy(adminPage: Page): Promise<void> {
  const active = await apiAs<{ rules: Rule[] }>(adminPage, "GET", "/api/v1/policies/active");
  const names = new Set(active.rules.map((r) => r.name));
  if (BASE_RULES.every((r) => names.has(r.name))) return;
  const rules = [...BASE_RULES.filter((r) => !names.has(r.name)), ...active.rules];
  const draft = await apiAs<{ version: number }>(adminPage, "POST", "/api/v1/policies", {
    rules,
    description: "e2e base rules",
  });
  await apiAs(adminPage, "POST", `/api/v1/policies/${draft.version}/publish`);
}

export type AgentWithKey = { id: string; slug: string; token: string };

/** An agent and a key bound to it, both created by the person signed in on `adminPage`. */
export async function createAgentWithKey(
  adminPage: Page,
  opts: {
    prefix?: string;
    environment?: "development" | "production";
    tools?: { allowed?: string[]; require_approval?: string[]; denied?: string[] };
  } = {},
): Promise<AgentWithKey> {
  const environment = opts.environment ?? "production";
  const slug = uniqueSlug(opts.prefix ?? "e2e-agent");
  const agent = await apiAs<{ id: string; slug: string }>(adminPage, "POST", "/api/v1/agents", {
    slug,
    name: `E2E ${slug}`,
    environment,
    tools: {
      allowed: opts.tools?.allowed ?? [],
      require_approval: opts.tools?.require_approval ?? [],
      denied: opts.tools?.denied ?? [],
    },
  });
  const key = await apiAs<{ token: string }>(adminPage, "POST", "/api/v1/auth/api-keys", {
    name: `${slug} key`,
    environment: environment === "production" ? "live" : "test",
    scopes: ["actions:submit", "actions:read"],
    agent_id: agent.id,
  });
  return { id: agent.id, slug: agent.slug, token: key.token };
}
