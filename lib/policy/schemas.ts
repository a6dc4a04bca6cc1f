import { z } from "zod";
import { MAX_CONDITION_LENGTH } from "./cel/limits";

export const EFFECTS = ["allow", "deny", "require_approval"] as const;
export type Effect = (typeof EFFECTS)[number];

/** In increasing order: every comparison of risk goes through riskAtLeast / maxRisk. */
export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** True when `level` is `floor` or above; an unknown level (a stored string) is below everything. */
export function riskAtLeast(level: string, floor: RiskLevel): boolean {
  return RISK_LEVELS.indexOf(level as RiskLevel) >= RISK_LEVELS.indexOf(floor);
}

/** The higher of two risk levels. */
export function maxRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return riskAtLeast(a, b) ? a : b;
}

export const ENVIRONMENTS = ["development", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * risk_level when a rule does not set one. An allowed action was judged safe
 * enough to run unattended (low); one that needs a person is at least medium;
 * a deny exists because the action is dangerous (high). The default deny (no
 * rule matched) uses the deny level as well.
 */
export const DEFAULT_RISK_LEVEL: Readonly<Record<Effect, RiskLevel>> = {
  allow: "low",
  require_approval: "medium",
  deny: "high",
};

export const POLICY_LIMITS = {
  maxRules: 200,
  maxNameLength: 100,
  maxConditionLength: MAX_CONDITION_LENGTH,
  maxReasonLength: 500,
  minApprovals: 1,
  maxApprovals: 5,
  defaultApprovals: 1,
  minApprovalTtlSeconds: 60,
  maxApprovalTtlSeconds: 7 * 24 * 60 * 60,
  defaultApprovalTtlSeconds: 24 * 60 * 60,
} as const;

const L = POLICY_LIMITS;

export const riskLevelSchema = z.enum(RISK_LEVELS);
export const effectSchema = z.enum(EFFECTS);

/**
 * One rule as submitted by the editor or API. The output is normalised: the
 * risk level is filled in from the effect, and the approval fields are set
 * (with defaults) for require_approval and null for the other effects, so
 * stored rules and decisions always carry the same shape.
 */
export const ruleInputSchema = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1, "Rule name is required")
      .max(L.maxNameLength, `Rule name must be at most ${L.maxNameLength} characters`),
    condition: z
      .string()
      .max(L.maxConditionLength, `Condition must be at most ${L.maxConditionLength} characters`)
      .refine((s) => s.trim() !== "", "Condition is required"),
    effect: effectSchema,
    risk_level: riskLevelSchema.optional(),
    reason: z
      .string()
      .trim()
      .max(L.maxReasonLength, `Reason must be at most ${L.maxReasonLength} characters`)
      .optional(),
    // null is accepted as "not set" because forms tend to send it.
    approvals_required: z
      .int("approvals_required must be a whole number")
      .min(L.minApprovals, `approvals_required must be at least ${L.minApprovals}`)
      .max(L.maxApprovals, `approvals_required must be at most ${L.maxApprovals}`)
      .nullish(),
    approval_ttl_seconds: z
      .int("approval_ttl_seconds must be a whole number")
      .min(L.minApprovalTtlSeconds, `approval_ttl_seconds must be at least ${L.minApprovalTtlSeconds} (1 minute)`)
      .max(L.maxApprovalTtlSeconds, `approval_ttl_seconds must be at most ${L.maxApprovalTtlSeconds} (7 days)`)
      .nullish(),
  })
  .superRefine((rule, ctx) => {
    if (rule.effect === "require_approval") return;
    for (const field of ["approvals_required", "approval_ttl_seconds"] as const) {
      if (rule[field] !== undefined && rule[field] !== null) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `${field} only applies when effect is "require_approval" (this rule's effect is "${rule.effect}")`,
        });
      }
    }
  })
  .transform((rule) => ({
    name: rule.name,
    condition: rule.condition,
    effect: rule.effect,
    risk_level: rule.risk_level ?? DEFAULT_RISK_LEVEL[rule.effect],
    reason: rule.reason ?? "",
    approvals_required: rule.effect === "require_approval" ? (rule.approvals_required ?? L.defaultApprovals) : null,
    approval_ttl_seconds:
      rule.effect === "require_approval" ? (rule.approval_ttl_seconds ?? L.defaultApprovalTtlSeconds) : null,
  }));

export type RuleInput = z.input<typeof ruleInputSchema>;
/** A validated, normalised rule. */
export type PolicyRule = z.output<typeof ruleInputSchema>;

/** Names compare trimmed and case-insensitively: "Block deletes" and "block deletes" would confuse a reader. */
export function ruleNameKey(name: string): string {
  return name.trim().toLowerCase();
}

export const policyInputSchema = z
  .strictObject({
    rules: z.array(ruleInputSchema).max(L.maxRules, `A policy can have at most ${L.maxRules} rules`),
  })
  .superRefine((policy, ctx) => {
    const seen = new Map<string, number>();
    policy.rules.forEach((rule, index) => {
      const key = ruleNameKey(rule.name);
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, index);
        return;
      }
      ctx.addIssue({
        code: "custom",
        path: ["rules", index, "name"],
        message: `Rule names must be unique: rule ${index + 1} has the same name as rule ${first + 1}`,
      });
    });
  });

export type PolicyInput = z.input<typeof policyInputSchema>;
export type Policy = z.output<typeof policyInputSchema>;

const jsonObject = z.record(z.string(), z.json());

/**
 * What a condition sees. The actions endpoint builds it from the authenticated
 * agent and the request body; the simulator accepts it as JSON.
 */
export const evaluationInputSchema = z.strictObject({
  agent: z.strictObject({
    slug: z.string().max(200),
    name: z.string().max(200),
    environment: z.string().max(50),
  }),
  tool: z.string().max(200),
  operation: z.string().max(200),
  params: jsonObject.default({}),
  context: jsonObject.default({}),
  env: z.enum(ENVIRONMENTS),
});

export type EvaluationInput = {
  agent: { slug: string; name: string; environment: string };
  tool: string;
  operation: string;
  params: Readonly<Record<string, unknown>>;
  context: Readonly<Record<string, unknown>>;
  env: Environment;
};
