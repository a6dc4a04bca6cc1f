import { type CelResult, celEnv, celType, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { AppError, type FieldError } from "../errors";
import { checkParsed, type Ty } from "./check";
import { COST_LIMITS, CostMeter, estimateCost, instrument, meteredEnv, withMeter } from "./cost";
import { policyFunctions } from "./functions";
import type { ConditionBindings } from "./input";
import { POLICY_LIMITS, type PolicyRule, policyInputSchema } from "./schemas";
import { blankComments, findSyntaxIssue } from "./syntax";

/** The one environment conditions are checked and run in. */
const env = celEnv({ funcs: [...strings, ...policyFunctions] });
/** The same environment with every call metered (lib/policy/cost.ts): what programs are planned in. */
const runEnv = meteredEnv(env);

/** Variables that carry caller-controlled data of any shape, sized by the body limit in the static estimate. */
const POLICY_INPUTS: ReadonlySet<string> = new Set(["params", "context"]);

/** A problem in a condition, positioned for an editor (line and column are 1-based, columns count characters). */
export type ConditionError = {
  kind: "syntax" | "type" | "cost";
  message: string;
  line: number;
  column: number;
  /** UTF-16 offset into the condition, for editors that address text that way. */
  offset: number;
};

export type ConditionResult = { ok: true; value: boolean } | { ok: false; error: string };

/** A condition ready to run against many inputs. */
export type CompiledCondition = {
  readonly source: string;
  /** The static worst-case cost estimate (lib/policy/cost.ts). */
  readonly cost: number;
  /**
   * Runs under `meter` (shared by the rules of one policy evaluation), or a
   * fresh budget of COST_LIMITS.perEvaluation. Past the budget the result is
   * an error, whatever the expression would have returned.
   */
  run(bindings: ConditionBindings, meter?: CostMeter): ConditionResult;
};

export type CompiledRule = PolicyRule & { readonly index: number; readonly compiled: CompiledCondition };
export type CompiledPolicy = { readonly rules: readonly CompiledRule[] };

function positionOf(src: string, offset: number): { line: number; column: number } {
  const end = Math.max(0, Math.min(offset, src.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < end; i++) {
    const c = src[i];
    if (c === "\n" || (c === "\r" && src[i + 1] !== "\n")) {
      line++;
      lineStart = i + 1;
    }
  }
  // Columns count code points, so an emoji earlier on the line counts once.
  const column = [...src.slice(lineStart, end)].length + 1;
  return { line, column };
}

function where(src: string, offset: number): string {
  const { line, column } = positionOf(src, offset);
  return `line ${line}, column ${column}`;
}

/**
 * The parser places an operator's node where its left operand ends, before
 * the whitespace, so step over whitespace and comments to the operator itself.
 */
function skipBlank(src: string, offset: number): number {
  let i = offset;
  for (;;) {
    while (i < src.length && /\s/.test(src[i]!)) i++;
    if (!src.startsWith("//", i)) return i;
    while (i < src.length && src[i] !== "\n" && src[i] !== "\r") i++;
  }
}

function conditionError(src: string, kind: ConditionError["kind"], message: string, offset: number): ConditionError {
  const start = Math.max(0, Math.min(offset, src.length));
  const skipped = skipBlank(src, start);
  const clamped = skipped < src.length ? skipped : start;
  return { kind, message, offset: clamped, ...positionOf(src, clamped) };
}

export function formatConditionError(e: ConditionError): string {
  return `line ${e.line}, column ${e.column}: ${e.message}`;
}

type Parsed = ReturnType<typeof parse>;

function parseCondition(src: string): { parsed: Parsed } | { error: ConditionError } {
  try {
    return { parsed: parse(blankComments(src)) };
  } catch (e) {
    const located = findSyntaxIssue(src, (offset) => where(src, offset));
    if (located !== null) return { error: conditionError(src, "syntax", located.message, located.offset) };
    if (e instanceof RangeError)
      return { error: conditionError(src, "syntax", "the condition is nested too deeply", 0) };
    const detail = e as { rawMessage?: unknown; location?: { start?: { offset?: unknown } } };
    const message =
      typeof detail.rawMessage === "string" ? detail.rawMessage : e instanceof Error ? e.message : "syntax error";
    const offset = typeof detail.location?.start?.offset === "number" ? detail.location.start.offset : 0;
    return { error: conditionError(src, "syntax", message, offset) };
  }
}

function makeRunner(src: string, parsed: Parsed): CompiledCondition["run"] {
  // The parsed tree is ours (parsed for this compile), checked already: instrument it in place.
  instrument(parsed.expr);
  const program = plan(runEnv, parsed);
  const positions = parsed.sourceInfo?.positions ?? {};
  const failure = (message: string, exprId?: bigint): ConditionResult => {
    const offset = exprId === undefined ? undefined : positions[String(exprId)];
    return { ok: false, error: offset === undefined ? message : `${where(src, skipBlank(src, offset))}: ${message}` };
  };
  return (bindings, meter = new CostMeter()) => {
    let value: CelResult;
    try {
      value = withMeter(meter, () => program(bindings));
    } catch (e) {
      if (meter.exceeded) return failure(meter.message);
      return failure(e instanceof Error ? e.message : "evaluation failed");
    }
    // `||` and `&&` absorb an error when the other side decides: a spent budget decides regardless.
    if (meter.exceeded) return failure(meter.message, isCelError(value) ? value.exprId : undefined);
    if (isCelError(value)) return failure(value.message, value.exprId);
    if (typeof value !== "boolean") return failure(`the condition evaluated to a ${celType(value).name}, not a bool`);
    return { ok: true, value };
  };
}

/**
 * Parses and checks a condition without throwing, for live feedback in the
 * editor: the syntax error, or else every type error in source order. Empty
 * means the condition compiles.
 */
export function checkCondition(condition: string): ConditionError[] {
  const result = compileCondition(condition);
  return "errors" in result ? result.errors : [];
}

/**
 * The variables a condition may name, with their static types. Policies use
 * CONDITION_VARIABLES (lib/policy/check.ts); alert rules declare the audit
 * event's fields (lib/alerts/condition.ts). Same engine, same limits.
 */
export type ConditionVariables = Readonly<Record<string, Ty>>;

/** compileCondition for another set of variables (alert rules), without throwing. */
export function compileConditionWith(
  src: string,
  variables: ConditionVariables,
  options: CompileOptions,
): { compiled: CompiledCondition } | { errors: ConditionError[] } {
  return compileCondition(src, variables, options);
}

export type CompileOptions = {
  /**
   * Refuse a condition whose static cost estimate is above
   * COST_LIMITS.perRule. True for anything being saved or tried; false for
   * versions already stored (they were admitted then, and still run under the
   * runtime budget, so an older version can never become unusable).
   */
  enforceCost: boolean;
  /** Variables holding caller-controlled data (params/context for policies). */
  inputs?: ReadonlySet<string>;
};

const SAVE: CompileOptions = { enforceCost: true };
const STORED: CompileOptions = { enforceCost: false };

function compileCondition(
  src: string,
  variables?: ConditionVariables,
  options: CompileOptions = SAVE,
): { compiled: CompiledCondition } | { errors: ConditionError[] } {
  if (src.length > POLICY_LIMITS.maxConditionLength) {
    return {
      errors: [
        conditionError(src, "syntax", `the condition is longer than ${POLICY_LIMITS.maxConditionLength} characters`, 0),
      ],
    };
  }
  // Nothing but comments and whitespace (outside a comment, "//" cannot start a line's content).
  if (src.replace(/\/\/[^\n\r]*/g, "").trim() === "") {
    return { errors: [conditionError(src, "syntax", "the condition is empty", 0)] };
  }
  const parsed = parseCondition(src);
  if ("error" in parsed) return { errors: [parsed.error] };
  const issues = checkParsed(env, parsed.parsed, variables);
  if (issues.length > 0) {
    return { errors: issues.map((i) => conditionError(src, "type", i.message, i.offset)) };
  }
  const estimate = estimateCost(parsed.parsed.expr, options.inputs ?? POLICY_INPUTS);
  if (options.enforceCost && estimate.cost > COST_LIMITS.perRule) {
    const why = estimate.reason === null ? "" : `: ${estimate.reason}`;
    const message = `the condition is too expensive: its worst case over the largest accepted input is ${estimate.cost.toLocaleString("en-US")} cost units, above the limit of ${COST_LIMITS.perRule.toLocaleString("en-US")}${why}`;
    return { errors: [conditionError(src, "cost", message, 0)] };
  }
  let run: CompiledCondition["run"];
  try {
    run = makeRunner(src, parsed.parsed);
  } catch (e) {
    return { errors: [conditionError(src, "type", e instanceof Error ? e.message : "cannot compile", 0)] };
  }
  return { compiled: { source: src, cost: estimate.cost, run } };
}

/**
 * Compiles one condition (on save, or in the editor). Throws
 * AppError("validation_failed") with errors[0] = { path: "condition",
 * message: "line L, column C: ..." } for the first problem.
 */
export function compileRule(condition: string): CompiledCondition {
  const result = compileCondition(condition);
  if ("compiled" in result) return result.compiled;
  const first = result.errors[0]!;
  throw new AppError("validation_failed", `The condition is invalid: ${formatConditionError(first)}`, {
    errors: [{ path: "condition", message: formatConditionError(first) }],
  });
}

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
