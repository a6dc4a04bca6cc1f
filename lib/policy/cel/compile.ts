import { type CelResult, celEnv, celType, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { AppError } from "../../errors";
import { checkParsed } from "./check";
import { COST_LIMITS, CostMeter, estimateCost, instrument, meteredEnv, withMeter } from "./cost";
import { policyFunctions } from "./functions";
import type { ConditionBindings } from "./input";
import { MAX_CONDITION_LENGTH } from "./limits";
import { blankComments, findSyntaxIssue } from "./syntax";
import type { Ty } from "./types";

/** The one environment conditions are checked and run in. */
const env = celEnv({ funcs: [...strings, ...policyFunctions] });
/** The same environment with every call metered (./cost.ts): what programs are planned in. */
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
  /** The static worst-case cost estimate (./cost.ts). */
  readonly cost: number;
  /**
   * Runs under `meter` (shared by the rules of one policy evaluation), or a
   * fresh budget of COST_LIMITS.perEvaluation. Past the budget the result is
   * an error, whatever the expression would have returned.
   */
  run(bindings: ConditionBindings, meter?: CostMeter): ConditionResult;
};

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
 * CONDITION_VARIABLES (./types.ts); alert rules declare the audit
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

export function compileCondition(
  src: string,
  variables?: ConditionVariables,
  options: CompileOptions = SAVE,
): { compiled: CompiledCondition } | { errors: ConditionError[] } {
  if (src.length > MAX_CONDITION_LENGTH) {
    return {
      errors: [conditionError(src, "syntax", `the condition is longer than ${MAX_CONDITION_LENGTH} characters`, 0)],
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
