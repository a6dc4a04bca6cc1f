import { compileRule, evaluateCondition, type ConditionResult, type EvaluationInput } from "@/lib/policy";

export const baseInput: EvaluationInput = {
  agent: { slug: "billing-bot", name: "Billing bot", environment: "production" },
  tool: "http_proxy",
  operation: "request",
  params: {},
  context: {},
  env: "production",
};

export function input(overrides: Partial<EvaluationInput> = {}): EvaluationInput {
  return { ...baseInput, ...overrides };
}

/** Compiles and runs one condition; throws if it does not compile. */
export function run(condition: string, overrides: Partial<EvaluationInput> = {}): ConditionResult {
  return evaluateCondition(compileRule(condition), input(overrides));
}

/** The boolean value of a condition that must evaluate without error. */
export function value(condition: string, overrides: Partial<EvaluationInput> = {}): boolean {
  const r = run(condition, overrides);
  if (!r.ok) throw new Error(`condition failed: ${r.error}`);
  return r.value;
}
