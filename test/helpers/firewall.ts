import { randomUUID } from "node:crypto";
import { createAgent } from "@/lib/agents/agents";
import { createApiKey } from "@/lib/keys/create-api-key";
import { createPolicyDraft, publishPolicyVersion } from "@/lib/policy/versions";
import type { RuleInput } from "@/lib/policy";
import type { TestOrg } from "./fixtures";
import { memberContext } from "./keys";

export type TestAgent = { id: string; slug: string; token: string; keyId: string };

/** An agent with a tool registry and a bound key (created by the organization's admin unless said otherwise). */
export async function createAgentWithKey(
  t: TestOrg,
  opts: {
    tools?: { allowed?: string[]; denied?: string[]; require_approval?: string[] };
    environment?: "development" | "production";
    rate_limit_per_minute?: number;
    daily_budget?: number;
    keyCreator?: "admin";
    scopes?: string[];
  } = {},
): Promise<TestAgent> {
  const environment = opts.environment ?? "production";
  const agent = await createAgent(memberContext(t), {
    slug: `agent-${randomUUID().slice(0, 8)}`,
    name: "Test agent",
    environment,
    tools: {
      allowed: opts.tools?.allowed ?? [],
      denied: opts.tools?.denied ?? [],
      require_approval: opts.tools?.require_approval ?? [],
    },
    rate_limit_per_minute: opts.rate_limit_per_minute,
    daily_budget: opts.daily_budget,
  });
  const key = await createApiKey(
    memberContext(t),
    {
      name: `${agent.slug} key`,
      environment: environment === "production" ? "live" : "test",
      scopes: opts.scopes ?? ["actions:submit", "actions:read"],
      agent_id: agent.id,
    },
    null,
  );
  return { id: agent.id, slug: agent.slug, token: key.token, keyId: key.key.id };
}

export async function publishPolicy(t: TestOrg, rules: RuleInput[]): Promise<number> {
  const ctx = memberContext(t);
  const draft = await createPolicyDraft(ctx, { rules });
  await publishPolicyVersion(ctx, draft.version);
  return draft.version;
}
