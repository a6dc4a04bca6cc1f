import type { CompiledCondition, ConditionResult } from "./cel/compile";
import type { CompiledPolicy, CompiledRule } from "./compile";
import { CostMeter } from "./cel/cost";
import { type ConditionBindings, toBindings } from "./cel/input";
import { DEFAULT_RISK_LEVEL, type Effect, type EvaluationInput, maxRisk, type RiskLevel } from "./schemas";

export type Decision = {
  effect: Effect;
  risk_level: RiskLevel;
  reason: string;
  /** The deciding rule; null for the default deny and for unusable input. */
  rule: { index: number; name: string } | null;
  /** Set only when effect is require_approval. */
  approvals_required: number | null;
  approval_ttl_seconds: number | null;
  /** matched: a rule's condition was true; default: none was; error: evaluation failed and the action is denied. */
  outcome: "matched" | "default" | "error";
};

export const DEFAULT_DENY_REASON = "No rule matched (default deny)";

const defaultDeny = (): Decision => ({
  effect: "deny",
  risk_level: DEFAULT_RISK_LEVEL.deny,
  reason: DEFAULT_DENY_REASON,
  rule: null,
  approvals_required: null,
  approval_ttl_seconds: null,
  outcome: "default",
});

function atLeastHigh(level: RiskLevel): RiskLevel {
  return maxRisk(level, "high");
}

function matched(rule: CompiledRule): Decision {
  const approval = rule.effect === "require_approval";
  return {
    effect: rule.effect,
    risk_level: rule.risk_level,
    reason: rule.reason !== "" ? rule.reason : `Matched rule "${rule.name}"`,
    rule: { index: rule.index, name: rule.name },
    approvals_required: approval ? rule.approvals_required : null,
    approval_ttl_seconds: approval ? rule.approval_ttl_seconds : null,
    outcome: "matched",
  };
}

function failed(rule: CompiledRule, error: string): Decision {
  return {
    effect: "deny",
    risk_level: atLeastHigh(rule.risk_level),
    reason: `Rule "${rule.name}" could not be evaluated, so the action is denied: ${error}`,
    rule: { index: rule.index, name: rule.name },
    approvals_required: null,
    approval_ttl_seconds: null,
    outcome: "error",
  };
}

function unusableInput(message: string): Decision {
  return {
    effect: "deny",
    risk_level: DEFAULT_RISK_LEVEL.deny,
    reason: `The action could not be evaluated, so it is denied: ${message}`,
    rule: null,
    approvals_required: null,
    approval_ttl_seconds: null,
    outcome: "error",
  };
}

function bind(input: EvaluationInput): ConditionBindings | string {
  try {
    return toBindings(input);
  } catch (e) {
    return e instanceof Error ? e.message : "invalid input";
  }
}

/**
 * Decides an action. Rules run in order and the first whose condition is true
 * decides; if none is, the action is denied. A rule whose condition fails at
 * run time (missing key, wrong type, ...) denies the action right there:
 * skipping it could let a later allow through a deny that was meant to apply.
 * Never throws.
 */
export function evaluatePolicy(policy: CompiledPolicy, input: EvaluationInput): Decision {
  const bindings = bind(input);
  if (typeof bindings === "string") return unusableInput(bindings);
  // One budget for the whole evaluation: many cheap rules cannot add up to a long stall.
  const meter = new CostMeter();
  for (const rule of policy.rules) {
    const result = rule.compiled.run(bindings, meter);
    if (!result.ok) return failed(rule, result.error);
    if (result.value) return matched(rule);
  }
  return defaultDeny();
}

export type RuleTrace = {
  index: number;
  name: string;
  effect: Effect;
  /** true/false: the condition's value; error: it failed at run time. */
  result: "true" | "false" | "error";
  error: string | null;
};

/**
 * For the simulator: the decision plus every rule's own result, including the
 * rules after the deciding one (to show shadowed rules). The decision is the
 * one evaluatePolicy returns.
 */
export function explainPolicy(
  policy: CompiledPolicy,
  input: EvaluationInput,
): { decision: Decision; rules: RuleTrace[] } {
  const bindings = bind(input);
  if (typeof bindings === "string") {
    const rules = policy.rules.map((r): RuleTrace => ({
      index: r.index,
      name: r.name,
      effect: r.effect,
      result: "error",
      error: bindings,
    }));
    return { decision: unusableInput(bindings), rules };
  }
  let decision: Decision | undefined;
  // The rules up to the deciding one share one budget, exactly as in evaluatePolicy (so the
  // decision is the same); each rule after it gets a budget of its own for its trace.
  const meter = new CostMeter();
  const rules = policy.rules.map((rule): RuleTrace => {
    const result = rule.compiled.run(bindings, decision === undefined ? meter : new CostMeter());
    if (decision === undefined && (!result.ok || result.value)) {
      decision = result.ok ? matched(rule) : failed(rule, result.error);
    }
    return {
      index: rule.index,
      name: rule.name,
      effect: rule.effect,
      result: result.ok ? (result.value ? "true" : "false") : "error",
      error: result.ok ? null : result.error,
    };
  });
  return { decision: decision ?? defaultDeny(), rules };
}

/** Runs one compiled condition against an input (the editor's "test this condition"). */
export function evaluateCondition(condition: CompiledCondition, input: EvaluationInput): ConditionResult {
  const bindings = bind(input);
  if (typeof bindings === "string") return { ok: false, error: bindings };
  return condition.run(bindings);
}
