import { z } from "zod";
import { decideAction, type ActionDecision } from "./decide";
import { cachedPolicy, compileAndCache } from "./policy-cache";
import { withTenant } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { parseOr422 } from "../validation";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { parseAndCompilePolicy } from "./compile";
import { explainPolicy, type RuleTrace } from "./evaluate";
import type { EvaluationInput } from "./schemas";
import { checkToolRegistry, readRegistries, type ToolRegistryStatus } from "./tool-registry";

export const simulateSchema = z.strictObject({
  /** Rules to try; the active policy when absent. */
  rules: z.array(z.unknown()).optional(),
  action: z.strictObject({
    /** An existing agent's slug: its environment and tool registry apply. */
    agent: z.string().max(50).optional(),
    tool: z.string().min(1).max(64),
    operation: z.string().min(1).max(128),
    params: z.record(z.string(), z.unknown()).default({}),
    context: z.record(z.string(), z.unknown()).default({}),
    /** Without an agent: the environment to evaluate in. */
    env: z.enum(["development", "production"]).default("production"),
  }),
});

export type SimulationResult = {
  decision: ActionDecision;
  registry: ToolRegistryStatus | "not_checked";
  trace: RuleTrace[];
  policy: { version: number | null; source: "draft" | "active" };
};

/** The editor's test panel: what would this action get, and which rule decides. Nothing is recorded. */
export async function simulatePolicy(ctx: OrgContext, raw: unknown): Promise<SimulationResult> {
  assertCan(ctx, "policies:read");
  const { rules, action } = parseOr422(simulateSchema, raw);
  const draft = rules ? parseAndCompilePolicy({ rules }).compiled : null;

  const { agent, active } = await withTenant(tenantOf(ctx), async (tx) => {
    const agent = action.agent
      ? await tx.agent.findUnique({ where: { orgId_slug: { orgId: ctx.org.id, slug: action.agent } } })
      : null;
    if (action.agent && !agent) throw notFound("Agent");
    const active = draft ? null : await tx.policyVersion.findFirst({ where: { orgId: ctx.org.id, isActive: true } });
    if (!draft && !active) throw new AppError("internal", "The organization has no active policy");
    return { agent, active };
  });
  const compiled = draft ?? cachedPolicy(active!.id) ?? compileAndCache(active!.id, active!.rules);
  const env = agent?.environment ?? action.env;
  const input: EvaluationInput = {
    agent: agent
      ? { slug: agent.slug, name: agent.name, environment: agent.environment }
      : { slug: "simulated", name: "Simulated agent", environment: env },
    tool: action.tool,
    operation: action.operation,
    params: action.params,
    context: action.context,
    env,
  };
  const trace = explainPolicy(compiled, input).rules;
  if (!agent) {
    const decision = decideAction({
      registry: { allowed: [action.tool], denied: [], require_approval: [] },
      policy: compiled,
      policyVersion: active?.version ?? 0,
      input,
    });
    return {
      decision: { ...decision, policy_version: active?.version ?? null },
      registry: "not_checked",
      trace,
      policy: { version: active?.version ?? null, source: draft ? "draft" : "active" },
    };
  }
  const registry = readRegistries(agent.toolRegistry)[agent.environment];
  const decision = decideAction({ registry, policy: compiled, policyVersion: active?.version ?? 0, input });
  return {
    decision: { ...decision, policy_version: decision.policy_version === null ? null : (active?.version ?? null) },
    registry: checkToolRegistry(registry, action.tool),
    trace,
    policy: { version: active?.version ?? null, source: draft ? "draft" : "active" },
  };
}
