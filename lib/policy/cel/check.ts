/**
 * A type checker for policy conditions.
 *
 * @bufbuild/cel ships a parser and an evaluator but its checker only knows
 * constants and identifiers, so this one walks the parsed AST itself. Function
 * overloads come from the same CelEnv the evaluator uses, so a call the checker
 * accepts is one the runtime can dispatch. Anything whose type depends on
 * action input (`params.x`, `context.y`) is `dyn` and checked at run time,
 * where a type error denies the action.
 */
import { type CelEnv, parse, plan, isCelError, celEnv } from "@bufbuild/cel";
import { constantArgumentChecks } from "./functions";
import { MAX_EXPRESSION_DEPTH } from "./limits";
import { suggest } from "./suggest";
import {
  DYN,
  BOOL,
  INT,
  UINT,
  DOUBLE,
  STRING,
  BYTES,
  NULL,
  TYPE,
  TYPE_IDENTIFIERS,
  asRuntime,
  assignable,
  sameType,
  isKnown,
  overloadsOf,
  CONDITION_VARIABLES,
  formatType,
  type Overload,
  type Ty,
} from "./types";

type ParsedExpr = ReturnType<typeof parse>;
type Expr = ParsedExpr["expr"];
type ExprKind<K extends NonNullable<Expr["exprKind"]["case"]>> = Extract<Expr["exprKind"], { case: K }>["value"];

export type CheckIssue = { message: string; offset: number };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const OPERATOR_NAMES: Readonly<Record<string, string>> = {
  "_+_": "+",
  "_-_": "-",
  "_*_": "*",
  "_/_": "/",
  "_%_": "%",
  "-_": "-",
  "!_": "!",
  "_==_": "==",
  "_!=_": "!=",
  "_<_": "<",
  "_<=_": "<=",
  "_>_": ">",
  "_>=_": ">=",
  "_&&_": "&&",
  "_||_": "||",
  "@in": "in",
  "_[_]": "[]",
  "_?_:_": "?:",
};

class Abort extends Error {}

// A throwaway environment for validating constant regular expressions with the
// evaluator's own RE2 engine.
const regexEnv = celEnv();
const regexProgram = plan(regexEnv, parse("''.matches(pattern)"));

/** Visits every node of an expression (bounded by the depth limit). */
function forEachExpr(e: Expr | undefined, fn: (x: Expr) => void, depth = 0): void {
  if (e === undefined || depth > MAX_EXPRESSION_DEPTH) return;
  fn(e);
  const kind = e.exprKind;
  switch (kind.case) {
    case "selectExpr":
      forEachExpr(kind.value.operand, fn, depth + 1);
      break;
    case "callExpr":
      forEachExpr(kind.value.target, fn, depth + 1);
      for (const a of kind.value.args) forEachExpr(a, fn, depth + 1);
      break;
    case "listExpr":
      for (const a of kind.value.elements) forEachExpr(a, fn, depth + 1);
      break;
    case "structExpr":
      for (const en of kind.value.entries) {
        if (en.keyKind.case === "mapKey") forEachExpr(en.keyKind.value, fn, depth + 1);
        forEachExpr(en.value, fn, depth + 1);
      }
      break;
    case "comprehensionExpr":
      for (const x of [
        kind.value.iterRange,
        kind.value.accuInit,
        kind.value.loopCondition,
        kind.value.loopStep,
        kind.value.result,
      ]) {
        forEachExpr(x, fn, depth + 1);
      }
      break;
    default:
      break;
  }
}

class Checker {
  readonly issues: CheckIssue[] = [];
  private readonly scopes: Map<string, Ty>[] = [];
  private readonly overloads: Map<string, Overload[]>;

  constructor(
    env: CelEnv,
    private readonly positions: Readonly<Record<string, number>>,
    private readonly vars: Readonly<Record<string, Ty>> = CONDITION_VARIABLES,
  ) {
    this.overloads = overloadsOf(env);
  }

  offsetOf(e: Expr): number {
    return this.positions[String(e.id)] ?? 0;
  }

  /** The first character of an expression: the smallest offset in its subtree. */
  startOf(e: Expr): number {
    let min = this.offsetOf(e);
    forEachExpr(e, (x) => {
      min = Math.min(min, this.offsetOf(x));
    });
    return min;
  }

  private error(at: Expr | number, message: string): Ty {
    this.issues.push({ message, offset: typeof at === "number" ? at : this.offsetOf(at) });
    return DYN;
  }

  private lookup(name: string): Ty | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const t = this.scopes[i]!.get(name);
      if (t !== undefined) return t;
    }
    return undefined;
  }

  check(e: Expr | undefined, depth: number): Ty {
    if (e === undefined) return DYN;
    if (depth > MAX_EXPRESSION_DEPTH) {
      this.error(e, `the condition is nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels)`);
      throw new Abort();
    }
    const kind = e.exprKind;
    switch (kind.case) {
      case "constExpr":
        return this.constant(e, kind.value);
      case "identExpr":
        return this.ident(e, kind.value.name);
      case "selectExpr":
        return this.select(e, kind.value, depth);
      case "callExpr":
        return this.call(e, kind.value, depth);
      case "listExpr":
        return this.list(kind.value, depth);
      case "structExpr":
        return this.struct(e, kind.value, depth);
      case "comprehensionExpr":
        return this.comprehension(e, kind.value, depth);
      default:
        return this.error(e, "unsupported expression");
    }
  }

  private constant(e: Expr, c: ExprKind<"constExpr">): Ty {
    const k = c.constantKind;
    switch (k.case) {
      case "boolValue":
        return BOOL;
      case "int64Value":
        if (k.value < INT64_MIN || k.value > INT64_MAX)
          return this.error(e, "integer literal is out of range (64-bit)");
        return INT;
      case "uint64Value":
        if (k.value < 0n || k.value > UINT64_MAX)
          return this.error(e, "unsigned integer literal is out of range (64-bit)");
        return UINT;
      case "doubleValue":
        return DOUBLE;
      case "stringValue":
        return STRING;
      case "bytesValue":
        return BYTES;
      case "nullValue":
        return NULL;
      case "durationValue":
        return { k: "object", name: "google.protobuf.Duration" };
      case "timestampValue":
        return { k: "object", name: "google.protobuf.Timestamp" };
      default:
        return this.error(e, "unsupported literal");
    }
  }

  private ident(e: Expr, rawName: string): Ty {
    const absolute = rawName.startsWith(".");
    const name = absolute ? rawName.slice(1) : rawName;
    if (!absolute) {
      const local = this.lookup(name);
      if (local !== undefined) return local;
    }
    const global = this.vars[name];
    if (global !== undefined) return global;
    if (TYPE_IDENTIFIERS.has(name)) return TYPE;
    return this.error(
      e,
      `unknown variable '${name}'${suggest(name, Object.keys(this.vars))}; available: ${Object.keys(this.vars).join(", ")}`,
    );
  }

  /** `a.b.c` as a dotted name when it is a chain of plain identifiers. */
  private qualifiedName(e: Expr): string | undefined {
    const kind = e.exprKind;
    if (kind.case === "identExpr") return kind.value.name;
    if (kind.case === "selectExpr" && !kind.value.testOnly && kind.value.operand !== undefined) {
      const base = this.qualifiedName(kind.value.operand);
      return base === undefined ? undefined : `${base}.${kind.value.field}`;
    }
    return undefined;
  }

  private rootIdent(e: Expr): string | undefined {
    const kind = e.exprKind;
    if (kind.case === "identExpr") return kind.value.name;
    if (kind.case === "selectExpr" && kind.value.operand !== undefined) return this.rootIdent(kind.value.operand);
    return undefined;
  }

  private select(e: Expr, s: ExprKind<"selectExpr">, depth: number): Ty {
    if (!s.testOnly) {
      // google.protobuf.Timestamp and friends parse as selections.
      const qualified = this.qualifiedName(e);
      const root = this.rootIdent(e);
      if (
        qualified !== undefined &&
        TYPE_IDENTIFIERS.has(qualified.replace(/^\./, "")) &&
        root !== undefined &&
        this.lookup(root) === undefined &&
        this.vars[root] === undefined
      ) {
        return TYPE;
      }
    }
    const operand = this.check(s.operand, depth + 1);
    const result = this.fieldType(e, operand, s.field);
    return s.testOnly ? BOOL : result;
  }

  private fieldType(e: Expr, operand: Ty, field: string): Ty {
    switch (operand.k) {
      case "dyn":
        return DYN;
      case "record": {
        const t = operand.fields[field];
        if (t !== undefined) return t;
        const names = Object.keys(operand.fields);
        return this.error(
          e,
          `${operand.name} has no field '${field}'${suggest(field, names)}; available: ${names.join(", ")}`,
        );
      }
      case "map":
        if (operand.key.k !== "dyn" && !(operand.key.k === "prim" && operand.key.name === "string")) {
          return this.error(e, `cannot select field '${field}' on a map with ${formatType(operand.key)} keys`);
        }
        return operand.value;
      default:
        return this.error(e, `type '${formatType(operand)}' has no fields (selecting '${field}')`);
    }
  }

  private call(e: Expr, c: ExprKind<"callExpr">, depth: number): Ty {
    // `strings.quote(x)` is a namespaced global function, not a method call.
    if (c.target !== undefined) {
      const qualified = this.qualifiedName(c.target);
      if (qualified !== undefined && this.overloads.has(`${qualified}.${c.function}`)) {
        const args = c.args.map((a) => this.check(a, depth + 1));
        return this.resolve(e, `${qualified}.${c.function}`, undefined, args, c.args);
      }
    }
    const target = c.target === undefined ? undefined : this.check(c.target, depth + 1);
    const args = c.args.map((a) => this.check(a, depth + 1));
    switch (c.function) {
      case "_&&_":
      case "_||_":
        for (const [i, t] of args.entries()) {
          if (isKnown(t) && !sameType(t, BOOL)) {
            this.error(
              c.args[i] ?? e,
              `operator '${OPERATOR_NAMES[c.function]}' needs bool operands, but this operand has type '${formatType(t)}'`,
            );
          }
        }
        return BOOL;
      case "_?_:_": {
        const [cond, whenTrue, whenFalse] = args;
        if (cond !== undefined && isKnown(cond) && !sameType(cond, BOOL)) {
          this.error(c.args[0] ?? e, `the condition of '?:' must be bool, not '${formatType(cond)}'`);
        }
        return whenTrue !== undefined && whenFalse !== undefined && sameType(whenTrue, whenFalse) ? whenTrue : DYN;
      }
      case "_[_]":
        return this.index(e, args[0] ?? DYN, args[1] ?? DYN);
      case "@not_strictly_false":
      case "__not_strictly_false__":
        return BOOL;
      default:
        return this.resolve(e, c.function, target, args, c.args);
    }
  }

  private index(e: Expr, container: Ty, key: Ty): Ty {
    const c = asRuntime(container);
    switch (c.k) {
      case "dyn":
        return DYN;
      case "list":
        if (isKnown(key) && !(key.k === "prim" && (key.name === "int" || key.name === "uint"))) {
          return this.error(e, `a list index must be an int, not '${formatType(key)}'`);
        }
        return c.elem;
      case "map":
        if (container.k === "record" && key.k === "prim" && key.name !== "string") {
          return this.error(e, `${container.name} keys are strings, not '${formatType(key)}'`);
        }
        return c.value;
      default:
        return this.error(e, `type '${formatType(container)}' cannot be indexed`);
    }
  }

  private resolve(e: Expr, name: string, target: Ty | undefined, args: Ty[], argExprs: Expr[]): Ty {
    const display = OPERATOR_NAMES[name] ?? name;
    const overloads = this.overloads.get(name);
    if (overloads === undefined) {
      const known = [...this.overloads.keys()].filter((n) => /^[a-z]/i.test(n));
      return this.error(e, `unknown function '${name}'${suggest(name, known)}`);
    }
    const shaped = overloads.filter(
      (o) => (o.target === undefined) === (target === undefined) && o.args.length === args.length,
    );
    if (shaped.length === 0) {
      const isMethod = overloads.some((o) => o.target !== undefined);
      const isFunction = overloads.some((o) => o.target === undefined);
      if (target !== undefined && !isMethod)
        return this.error(e, `'${name}' is a function, not a method: write ${name}(...)`);
      if (target === undefined && !isFunction) return this.error(e, `'${name}' is a method: write value.${name}(...)`);
      const counts = [...new Set(overloads.map((o) => o.args.length))].sort().join(" or ");
      return this.error(e, `'${name}' takes ${counts} argument(s), not ${args.length}`);
    }
    const matching = shaped.filter(
      (o) => (target === undefined || assignable(o.target!, target)) && o.args.every((a, i) => assignable(a, args[i]!)),
    );
    if (matching.length === 0) {
      const applied = [...(target === undefined ? [] : [target]), ...args].map(formatType).join(", ");
      const numeric =
        [target, ...args].some((t) => t !== undefined && t.k === "prim" && t.name === "double") &&
        [target, ...args].some((t) => t !== undefined && t.k === "prim" && (t.name === "int" || t.name === "uint"));
      const hint = numeric
        ? "; int and double do not mix in arithmetic: write 2.0 instead of 2, or convert with double()/int()"
        : "";
      const signatures =
        OPERATOR_NAMES[name] === undefined && shaped.length <= 3
          ? `; expected ${shaped.map((o) => `${o.target === undefined ? "" : `${formatType(o.target)}.`}${name}(${o.args.map(formatType).join(", ")})`).join(" or ")}`
          : "";
      return this.error(e, `no matching overload for '${display}' applied to (${applied})${hint}${signatures}`);
    }
    if ((name === "_==_" || name === "_!=_") && args.length === 2) this.checkComparable(e, display, args[0]!, args[1]!);
    this.checkConstantArguments(name, argExprs);
    const first = matching[0]!.result;
    return matching.every((o) => sameType(o.result, first)) ? first : DYN;
  }

  /**
   * The runtime's == accepts any two values, but two different scalar types
   * (other than numbers, which compare across int/uint/double) are never
   * equal, which is a typo rather than an intent: `tool == 1`.
   */
  private checkComparable(e: Expr, display: string, left: Ty, right: Ty): void {
    const numeric = (t: Ty) => t.k === "prim" && (t.name === "int" || t.name === "uint" || t.name === "double");
    if (left.k !== "prim" || right.k !== "prim" || left.name === "null_type" || right.name === "null_type") return;
    if (left.name === right.name || (numeric(left) && numeric(right))) return;
    this.error(e, `'${display}' compares ${left.name} with ${right.name}, which are never equal`);
  }

  private checkConstantArguments(name: string, argExprs: Expr[]): void {
    const rule = constantArgumentChecks.get(name);
    const arg = rule === undefined ? undefined : argExprs[rule.index];
    if (rule === undefined || arg === undefined) return;
    const candidates = arg.exprKind.case === "listExpr" ? arg.exprKind.value.elements : [arg];
    for (const el of candidates) {
      const k = el.exprKind;
      if (k.case === "constExpr" && k.value.constantKind.case === "stringValue") {
        const problem = rule.check(k.value.constantKind.value);
        if (problem !== null) this.error(el, problem);
      } else if (arg.exprKind.case === "listExpr" && k.case === "constExpr") {
        this.error(el, `${name} expects a list of strings`);
      }
    }
  }

  checkRegex(e: Expr): void {
    const kind = e.exprKind;
    if (kind.case !== "callExpr") return;
    const c = kind.value;
    if (c.function !== "matches") return;
    const pattern = c.target !== undefined ? c.args[0] : c.args[1];
    if (pattern?.exprKind.case !== "constExpr" || pattern.exprKind.value.constantKind.case !== "stringValue") return;
    const result = regexProgram({ pattern: pattern.exprKind.value.constantKind.value });
    if (isCelError(result)) this.error(pattern, `invalid regular expression: ${result.message}`);
  }

  private list(l: ExprKind<"listExpr">, depth: number): Ty {
    const types = l.elements.map((x) => this.check(x, depth + 1));
    const first = types[0];
    return { k: "list", elem: first !== undefined && types.every((t) => sameType(t, first)) ? asRuntime(first) : DYN };
  }

  private struct(e: Expr, s: ExprKind<"structExpr">, depth: number): Ty {
    if (s.messageName !== "") {
      return this.error(e, `message construction (${s.messageName}{...}) is not supported in policy conditions`);
    }
    const keys: Ty[] = [];
    const values: Ty[] = [];
    for (const entry of s.entries) {
      if (entry.keyKind.case !== "mapKey") return this.error(e, "invalid map literal");
      const keyType = this.check(entry.keyKind.value, depth + 1);
      if (keyType.k !== "dyn" && !(keyType.k === "prim" && ["int", "uint", "bool", "string"].includes(keyType.name))) {
        this.error(entry.keyKind.value, `map keys must be int, uint, bool or string, not '${formatType(keyType)}'`);
      }
      keys.push(keyType);
      values.push(this.check(entry.value, depth + 1));
    }
    const unify = (ts: Ty[]) => {
      const first = ts[0];
      return first !== undefined && ts.every((t) => sameType(t, first)) ? asRuntime(first) : DYN;
    };
    return { k: "map", key: unify(keys), value: unify(values) };
  }

  private comprehension(e: Expr, c: ExprKind<"comprehensionExpr">, depth: number): Ty {
    const range = asRuntime(this.check(c.iterRange, depth + 1));
    let iterType: Ty = DYN;
    let iterType2: Ty = DYN;
    switch (range.k) {
      case "dyn":
        break;
      case "list":
        iterType = c.iterVar2 === "" ? range.elem : INT;
        iterType2 = range.elem;
        break;
      case "map":
        iterType = range.key;
        iterType2 = range.value;
        break;
      default:
        this.error(c.iterRange ?? e, `cannot iterate over a value of type '${formatType(range)}'`);
    }
    const accuType = this.check(c.accuInit, depth + 1);
    const loopScope = new Map<string, Ty>([
      [c.accuVar, accuType],
      [c.iterVar, iterType],
    ]);
    if (c.iterVar2 !== "") loopScope.set(c.iterVar2, iterType2);
    this.scopes.push(loopScope);
    try {
      this.check(c.loopCondition, depth + 1);
      this.check(c.loopStep, depth + 1);
    } finally {
      this.scopes.pop();
    }
    this.scopes.push(new Map([[c.accuVar, accuType]]));
    try {
      return this.check(c.result, depth + 1);
    } finally {
      this.scopes.pop();
    }
  }
}

/**
 * Checks a parsed condition: unknown variables and functions, impossible
 * overloads, malformed helper constants, and a result that is known not to be
 * bool. Returns the issues in source order (empty when the condition is fine).
 */
export function checkParsed(
  env: CelEnv,
  parsed: ParsedExpr,
  variables: Readonly<Record<string, Ty>> = CONDITION_VARIABLES,
): CheckIssue[] {
  const checker = new Checker(env, parsed.sourceInfo?.positions ?? {}, variables);
  try {
    const type = checker.check(parsed.expr, 0);
    if (checker.issues.length === 0) {
      forEachExpr(parsed.expr, (x) => checker.checkRegex(x));
    }
    if (checker.issues.length === 0 && isKnown(type) && !sameType(type, BOOL)) {
      checker.issues.push({
        message: `a condition must evaluate to bool, but this expression has type '${formatType(type)}'`,
        offset: checker.startOf(parsed.expr),
      });
    }
  } catch (e) {
    if (!(e instanceof Abort)) throw e;
  }
  return [...checker.issues].sort((a, b) => a.offset - b.offset);
}
