/**
 * Demo data: organizations acme and globex, one acme user per role and a
 * globex admin, all with the same demo password. Idempotent: re-running resets
 * the demo users' passwords and roles and creates nothing twice. Everything goes
 * through the domain functions and the tenancy wall, as the app role.
 */
import { membershipsOf } from "../lib/auth/principal";
import { lookupUserByEmail } from "../lib/db/lookup";
import { provisionMember } from "../lib/members/provision-member";
import { createAgent, listAgents } from "../lib/agents/agents";
import { createOrganization } from "../lib/orgs/create-organization";
import { getOrgSettings, updateOrgSettings } from "../lib/orgs/settings";
import type { RuleInput } from "../lib/policy";
import { createPolicyDraft, getPolicyVersion, publishPolicyVersion } from "../lib/policy/versions";
import { systemContext } from "../lib/rbac/context";
import type { Role } from "../lib/rbac/permissions";

export const DEMO_ORGS = [
  {
    slug: "acme",
    name: "Acme Corp",
    users: [
      { email: "admin@acme.test", name: "Ada Admin", role: "admin" },
      { email: "approver@acme.test", name: "Alex Approver", role: "approver" },
      { email: "auditor@acme.test", name: "Audrey Auditor", role: "auditor" },
      { email: "viewer@acme.test", name: "Victor Viewer", role: "viewer" },
    ],
  },
  {
    slug: "globex",
    name: "Globex Corporation",
    users: [{ email: "admin@globex.test", name: "Gina Globex", role: "admin" }],
  },
] as const satisfies readonly {
  slug: string;
  name: string;
  users: readonly { email: string; name: string; role: Role }[];
}[];

async function findOrgId(slug: string, anchorEmail: string): Promise<string | null> {
  const anchor = await lookupUserByEmail(anchorEmail);
  if (!anchor) return null;
  const m = (await membershipsOf(anchor.id)).find((x) => x.org.slug === slug);
  return m?.org.id ?? null;
}

/** acme's demo policy: what a first real policy looks like. */
export const DEMO_RULES: RuleInput[] = [
  {
    name: "Block destructive operations in production",
    condition: 'env == "production" && operation in ["delete", "drop", "truncate", "destroy"]',
    effect: "deny",
    risk_level: "critical",
    reason: "Destructive operations are not allowed in production",
  },
  {
    name: "Large payments need two approvers",
    condition: 'tool == "payments" && has(params.amount) && params.amount > 1000.0',
    effect: "require_approval",
    risk_level: "critical",
    reason: "Payments over 1,000 need two approvers",
    approvals_required: 2,
    approval_ttl_seconds: 3600,
  },
  {
    name: "Payments need an approver",
    condition: 'tool == "payments"',
    effect: "require_approval",
    risk_level: "high",
    reason: "Every payment is reviewed by a person",
  },
  {
    name: "Read-only HTTPS to allowlisted APIs",
    condition:
      'tool == "http_proxy" && http_method_in(params.method, ["GET", "HEAD"]) && url_scheme(params.url) == "https" && url_host_in(params.url, ["api.github.com", "*.example.com"])',
    effect: "allow",
    risk_level: "low",
    reason: "Read-only request to an allowlisted API",
  },
  {
    name: "Support tickets",
    condition: 'tool == "tickets" && operation in ["read", "comment", "create"]',
    effect: "allow",
    risk_level: "low",
    reason: "Routine ticket work",
  },
];

/** A demo agent, policy and allowlist for acme, so the dashboard has something real to show. */
async function seedAcmeFirewall(org: { id: string; slug: string; name: string }): Promise<void> {
  const ctx = systemContext(org, "seed");
  if (!(await listAgents(ctx)).some((a) => a.slug === "support-bot")) {
    await createAgent(ctx, {
      slug: "support-bot",
      name: "Support bot",
      environment: "production",
      tools: { allowed: ["http_proxy", "tickets", "search"], denied: ["shell"], require_approval: ["payments"] },
      rate_limit_per_minute: 120,
      daily_budget: 5000,
    });
    console.log("  created agent support-bot");
  }
  if ((await getPolicyVersion(ctx, "active")).version === 1) {
    const draft = await createPolicyDraft(ctx, { rules: DEMO_RULES, description: "Demo policy" });
    await publishPolicyVersion(ctx, draft.version);
    console.log(`  published demo policy v${draft.version}`);
  }
  if ((await getOrgSettings(ctx)).http_allowed_domains.length === 0) {
    await updateOrgSettings(ctx, { http_allowed_domains: ["api.github.com", "*.example.com"] });
  }
}

export async function seedDemo(password: string): Promise<void> {
  for (const org of DEMO_ORGS) {
    const anchor = org.users[0].email;
    let orgId = await findOrgId(org.slug, anchor);
    if (!orgId) {
      orgId = (await createOrganization({ slug: org.slug, name: org.name })).id;
      console.log(`  created organization ${org.slug}`);
    }
    for (const u of org.users) {
      await provisionMember({ orgId, email: u.email, name: u.name, role: u.role, password });
    }
    if (org.slug === "acme") await seedAcmeFirewall({ id: orgId, slug: org.slug, name: org.name });
  }
}
