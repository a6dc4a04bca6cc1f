import { AppError, type FieldError } from "../errors";
import {
  compileCondition,
  formatConditionError,
  type CompileOptions,
  type CompiledCondition,
  type ConditionError,
} from "./cel/compile";
import { COST_LIMITS } from "./cel/cost";
import { POLICY_LIMITS, type PolicyRule, policyInputSchema } from "./schemas";

/**
 * A policy's rules compiled: every condition through the CEL engine
 * (lib/policy/cel/), with the policy-wide checks (all errors at once, the
 * per-policy cost ceiling) on top.
 */
export type CompiledRule = PolicyRule & { readonly index: number; readonly compiled: CompiledCondition };
export type CompiledPolicy = { readonly rules: readonly CompiledRule[] };

const SAVE: CompileOptions = { enforceCost: true };
const STORED: CompileOptions = { enforceCost: false };

/** A condition problem tied to its rule, for policy-wide feedback. */
export type PolicyConditionError = ConditionError & { index: number; name: string; path: string };

function compileRules(
  rules: readonly Pick<PolicyRule, "name" | "condition">[],
  options: CompileOptions = SAVE,
): {
  compiled: (CompiledCondition | undefined)[];
  errors: PolicyConditionError[];
} {
  const compiled: (CompiledCondition | undefined)[] = [];
  const errors: PolicyConditionError[] = [];
  rules.forEach((rule, index) => {
    const result = compileCondition(rule.condition, undefined, options);
    if ("compiled" in result) {
      compiled.push(result.compiled);
      return;
    }
    compiled.push(undefined);
    const first = result.errors[0]!;
    errors.push({ ...first, index, name: rule.name, path: `rules.${index}.condition` });
  });
  return { compiled, errors };
}

function conditionFailure(errors: PolicyConditionError[], extra: FieldError[] = []): AppError {
  const fieldErrors = [...extra, ...errors.map((e) => ({ path: e.path, message: formatConditionError(e) }))];
  const first = errors[0];
  const message =
    extra.length === 0 && errors.length === 1 && first !== undefined
      ? `Rule ${first.index + 1} ("${first.name}") has an invalid condition: ${formatConditionError(first)}`
      : `The policy is invalid (${fieldErrors.length} problem${fieldErrors.length === 1 ? "" : "s"})`;
  return new AppError("validation_failed", message, { errors: fieldErrors });
}

/**
 * Compiles validated rules (the output of policyInputSchema, or rules loaded
 * from a stored policy version). Every rule's condition is compiled; all
 * failures are reported together as `rules.<index>.condition`.
 */
export function compilePolicy(rules: readonly PolicyRule[], options: CompileOptions = SAVE): CompiledPolicy {
  const { compiled, errors } = compileRules(rules, options);
  if (errors.length > 0) throw conditionFailure(errors);
  if (options.enforceCost) assertPolicyCost(compiled as CompiledCondition[]);
  return {
    rules: rules.map((rule, index) => ({ ...rule, index, compiled: compiled[index]! })),
  };
}

/** The per-policy ceiling: one action runs every rule up to the deciding one, so the rules' worst cases add up. */
function assertPolicyCost(compiled: readonly CompiledCondition[]): void {
  const total = compiled.reduce((sum, c) => sum + c.cost, 0);
  if (total <= COST_LIMITS.perPolicy) return;
  const message = `The policy is too expensive: its rules' worst cases add up to ${total.toLocaleString("en-US")} cost units, above the limit of ${COST_LIMITS.perPolicy.toLocaleString("en-US")}; simplify or remove the costliest rules`;
  throw new AppError("validation_failed", message, { errors: [{ path: "rules", message }] });
}

/** Compiles a version already stored: no static ceiling (see CompileOptions), same runtime budget. */
export function compileStoredPolicy(rules: readonly PolicyRule[]): CompiledPolicy {
  return compilePolicy(rules, STORED);
}

/**
 * Non-throwing: the condition problems of a (possibly invalid) policy, each
 * with its rule index and name, for the editor.
 */
export function checkPolicyConditions(
  rules: readonly Pick<PolicyRule, "name" | "condition">[],
): PolicyConditionError[] {
  return compileRules(rules).errors;
}

/**
 * Validates a policy body and compiles it in one step, reporting schema
 * problems and condition problems together (so a save shows every error at
 * once). Returns the normalised policy and its compiled form.
 */
export function parseAndCompilePolicy(input: unknown): { rules: PolicyRule[]; compiled: CompiledPolicy } {
  const parsed = policyInputSchema.safeParse(input);
  if (parsed.success) return { rules: parsed.data.rules, compiled: compilePolicy(parsed.data.rules) };

  const schemaErrors: FieldError[] = parsed.error.issues.slice(0, 100).map((i) => ({
    path: i.path.map(String).join(".") || "(root)",
    message: i.message,
  }));
  // Conditions that are well-formed strings are still worth compiling, so the
  // editor can show their errors next to the schema errors.
  const raw = (input as { rules?: unknown } | null)?.rules;
  const conditionErrors: PolicyConditionError[] = [];
  if (Array.isArray(raw) && raw.length <= POLICY_LIMITS.maxRules) {
    const failedPaths = new Set(schemaErrors.map((e) => e.path));
    raw.forEach((rule: unknown, index) => {
      const r = rule as { name?: unknown; condition?: unknown } | null;
      if (typeof r?.condition !== "string" || failedPaths.has(`rules.${index}.condition`)) return;
      const name = typeof r.name === "string" ? r.name.trim() : "";
      for (const e of compileRules([{ name, condition: r.condition }]).errors) {
        conditionErrors.push({ ...e, index, path: `rules.${index}.condition` });
      }
    });
  }
  throw conditionFailure(conditionErrors, schemaErrors);
}
