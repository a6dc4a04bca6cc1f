import type { CompiledPolicy } from "./compile";
import { evaluatePolicy } from "./evaluate";
import { type EvaluationInput, maxRisk, POLICY_LIMITS, type RiskLevel } from "./schemas";
import { checkToolRegistry, type ToolRegistry } from "./tool-registry";

/**
 * The decision for one action: the agent's tool registry first, then the
 * organization's active policy (first match wins, default deny).
 *
 *   registry denied / unknown tool → deny (the policy is not consulted)
 *   registry allowed               → the policy's decision
 *   registry require_approval      → the policy's decision, but an allow is
 *                                    raised to require_approval (at least medium risk)
 */
export type ActionDecision = {
  effect: "allow" | "deny" | "require_approval";
  risk_level: RiskLevel;
  reason: string;
  rule: { index: number; name: string; condition: string } | null;
  approvals_required: number | null;
  approval_ttl_seconds: number | null;
  decided_by: "registry" | "policy";
  policy_version: number | null;
};

export function decideAction(args: {
  registry: ToolRegistry;
  policy: CompiledPolicy;
  policyVersion: number;
  input: EvaluationInput;
}): ActionDecision {
  const { input } = args;
  const registry = checkToolRegistry(args.registry, input.tool);
  if (registry === "denied" || registry === "unknown") {
    return {
      effect: "deny",
      risk_level: "high",
      reason:
        registry === "denied"
          ? `Tool "${input.tool}" is denied for agent "${input.agent.slug}" in ${input.env}`
          : `Tool "${input.tool}" is not in agent "${input.agent.slug}"'s tool registry for ${input.env}`,
      rule: null,
      approvals_required: null,
      approval_ttl_seconds: null,
      decided_by: "registry",
      policy_version: null,
    };
  }

  const d = evaluatePolicy(args.policy, input);
  const rule = d.rule
    ? { index: d.rule.index, name: d.rule.name, condition: args.policy.rules[d.rule.index]?.condition ?? "" }
    : null;
  const base: ActionDecision = {
    effect: d.effect,
    risk_level: d.risk_level,
    reason: d.reason,
    rule,
    approvals_required: d.approvals_required,
    approval_ttl_seconds: d.approval_ttl_seconds,
    decided_by: "policy",
    policy_version: args.policyVersion,
  };
  if (registry === "require_approval" && d.effect === "allow") {
    return {
      ...base,
      effect: "require_approval",
      risk_level: maxRisk(d.risk_level, "medium"),
      reason: `Tool "${input.tool}" requires approval for agent "${input.agent.slug}" (tool registry); the policy alone would allow it: ${d.reason}`,
      approvals_required: 1,
      approval_ttl_seconds: POLICY_LIMITS.defaultApprovalTtlSeconds,
      decided_by: "registry",
    };
  }
  if (base.effect === "require_approval") {
    base.approvals_required ??= 1;
    base.approval_ttl_seconds ??= POLICY_LIMITS.defaultApprovalTtlSeconds;
  }
  return base;
}
