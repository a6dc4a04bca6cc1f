/**
 * Cost limits for CEL conditions (policies and alert rules).
 *
 * @bufbuild/cel has no cost tracking, and its evaluation is synchronous: one
 * nested comprehension over a large list in an agent's params would hold the
 * event loop for seconds. Two guards, in the same units:
 *
 * 1. A static estimate at save time (estimateCost): the worst case of a
 *    condition over any input the API accepts (a 64 KiB body: lists of up to
 *    32,768 elements, strings of up to 65,536 characters). Rules above the
 *    per-rule ceiling, or policies above the per-policy ceiling, are refused
 *    with 422. This catches the superlinear shapes (an iteration over the
 *    input inside another iteration over the input) before they are stored.
 *
 * 2. A runtime budget on every evaluation (CostMeter). The planned program
 *    is instrumented: every comprehension charges the size of what it
 *    iterates and a tick per iteration (weighted by the size of its body),
 *    and every function and operator call goes through a metered resolver that
 *    charges by the size of its arguments and result (deeply for equality and
 *    `in`, up front for the calls that can amplify: replace, join, format,
 *    matches). Past the budget every further call fails at once, so the
 *    evaluation unwinds in microseconds and the caller treats the condition as
 *    failed (an action is denied). The budget is deterministic: the same input
 *    gets the same answer on an idle and on an overloaded machine.
 *
 * One unit is roughly one interpreted step; an evaluation that spends the
 * whole budget (the nested comprehension over 4,000 elements) takes
 * about 3 ms of CPU here, so a stream of adversarial requests cannot starve
 * other requests (test/integration/policy-cost.test.ts holds the event loop's
 * longest turn under 50 ms while four such attackers run).
 */
import {
  type CelEnv,
  type CelList,
  type CelResult,
  type CelValue,
  celError,
  isCelError,
  isCelList,
  isCelMap,
  type parse,
} from "@bufbuild/cel";

type ParsedExpr = ReturnType<typeof parse>;
type Expr = NonNullable<ParsedExpr["expr"]>;
type FuncResolver = CelEnv["funcs"];
type FuncGroup = NonNullable<ReturnType<FuncResolver["find"]>>;

export const COST_LIMITS = {
  /** Static worst-case estimate of one condition, checked at save. */
  perRule: 10_000_000,
  /** Static worst-case estimate of a whole policy (sum of its rules), checked at save. */
  perPolicy: 50_000_000,
  /** Runtime budget of one evaluation: all the rules run for one action, or one alert condition on one event. */
  perEvaluation: 100_000,
  /** Largest list (elements) and string (characters) a condition can meet in action input (64 KiB body). */
  inputListElements: 32_768,
  inputStringChars: 65_536,
} as const;

/** Strings are charged per 16 characters: scanning 16 characters costs about one interpreted step. */
const CHARS_PER_UNIT = 16;

export class CostMeter {
  used = 0;
  exceeded = false;
  constructor(readonly limit: number = COST_LIMITS.perEvaluation) {}

  /** Adds `units`; false once the budget is spent (and from then on). */
  charge(units: number): boolean {
    if (this.exceeded) return false;
    this.used += units;
    if (this.used > this.limit) this.exceeded = true;
    return !this.exceeded;
  }

  get message(): string {
    return `evaluation stopped: the condition exceeded its cost budget of ${this.limit.toLocaleString("en-US")} units (the input is too large for this rule)`;
  }
}

/** The meter of the evaluation running now. Evaluation is synchronous, so one slot suffices. */
let current: CostMeter | null = null;

export function withMeter<T>(meter: CostMeter, fn: () => T): T {
  const previous = current;
  current = meter;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

// ---------------------------------------------------------------- sizes

function stringUnits(length: number): number {
  return Math.ceil(length / CHARS_PER_UNIT);
}

/** The shallow size of a value, in units: O(1). */
function sizeOf(v: CelValue | undefined): number {
  if (typeof v === "string") return stringUnits(v.length);
  if (v instanceof Uint8Array) return stringUnits(v.length);
  if (isCelList(v) || isCelMap(v)) return v.size;
  return 0;
}

/** The nested size of a value, walking at most until `cap` is passed. */
function deepSize(v: CelValue | undefined, cap: number): number {
  let n = 0;
  const stack: (CelValue | undefined)[] = [v];
  while (stack.length > 0 && n <= cap) {
    const x = stack.pop();
    n += 1 + (typeof x === "string" || x instanceof Uint8Array ? stringUnits(x.length) : 0);
    if (isCelList(x)) {
      for (const e of x) {
        if (n > cap) break;
        stack.push(e);
        n++;
      }
    } else if (isCelMap(x)) {
      for (const [k, e] of x.entries()) {
        if (n > cap) break;
        stack.push(k as CelValue, e);
        n++;
      }
    }
  }
  return n;
}

// ---------------------------------------------------------------- lists that append in place

const CEL_LIST = Symbol.for("@bufbuild/cel/list");

/**
 * A list built by `+`. @bufbuild/cel concatenates lazily (a list of lists), so
 * the `map`/`filter` macros, which append one element per iteration, build a
 * chain as deep as the list is long, and reading it back costs O(n²) and can
 * overflow the stack. This list appends in place instead, like a Go slice:
 * when the left operand is the newest view of its array, the right side is
 * pushed onto it (O(1) per element); otherwise it is copied. Each view keeps
 * its own length, so `l + [1]` never changes `l`.
 */
class AppendList {
  readonly [CEL_LIST] = {};
  constructor(
    private readonly items: CelValue[],
    readonly size: number,
  ) {}

  get(index: number): CelValue | undefined {
    return index >= 0 && index < this.size ? this.items[index] : undefined;
  }

  *values(): IterableIterator<CelValue> {
    for (let i = 0; i < this.size; i++) yield this.items[i]!;
  }

  [Symbol.iterator](): IterableIterator<CelValue> {
    return this.values();
  }

  /** Appends in place when this is the newest view; returns how many elements were copied or pushed. */
  static concat(left: CelList, right: CelList): { list: CelList; work: number } {
    if (left instanceof AppendList && left.size === left.items.length) {
      for (const v of right) left.items.push(v);
      return { list: new AppendList(left.items, left.items.length) as unknown as CelList, work: right.size };
    }
    const items = [...left, ...right];
    return { list: new AppendList(items, items.length) as unknown as CelList, work: items.length };
  }
}

// ---------------------------------------------------------------- the metered resolver

/** Calls whose work depends on the nested size of their arguments. */
const DEEP = new Set(["_==_", "_!=_", "@in"]);

/** Work a call may do beyond reading its arguments, charged before it runs. */
function upfront(name: string, target: CelValue | undefined, args: CelValue[]): number {
  switch (name) {
    case "replace": {
      if (typeof target !== "string") return 0;
      const from = typeof args[0] === "string" ? args[0].length : 0;
      const to = typeof args[1] === "string" ? args[1].length : 0;
      const matches = from === 0 ? target.length + 1 : Math.floor(target.length / from);
      return stringUnits(target.length + matches * Math.max(0, to - from));
    }
    case "join": {
      if (!isCelList(target)) return 0;
      let length = 0;
      for (const v of target) if (typeof v === "string") length += v.length;
      const sep = typeof args[0] === "string" ? args[0].length : 0;
      return stringUnits(length + sep * target.size);
    }
    case "format": {
      if (typeof target !== "string") return 0;
      const placeholders = target.split("%").length - 1;
      return placeholders * deepSize(args[0], COST_LIMITS.perEvaluation + 1);
    }
    case "matches": {
      const text = typeof target === "string" ? target : args[0];
      const pattern = typeof target === "string" ? args[0] : args[1];
      if (typeof text !== "string" || typeof pattern !== "string") return 0;
      return (stringUnits(text.length) + 1) * (stringUnits(pattern.length) + 1);
    }
    default:
      return 0;
  }
}

const TICK = "@warden_tick";
const RANGE = "@warden_range";

function meteredGroup(name: string, inner: FuncGroup | undefined): FuncGroup | undefined {
  if (name === TICK) {
    return {
      name,
      *[Symbol.iterator]() {},
      call(id: number, _target: CelValue | undefined, args: CelValue[]): CelResult {
        // args: [the loop condition's value, the tick's weight]
        const weight = typeof args[1] === "bigint" ? Number(args[1]) : 1;
        if (current !== null && !current.charge(weight)) return celError(current.message, id);
        return args[0]!;
      },
    };
  }
  if (name === RANGE) {
    return {
      name,
      *[Symbol.iterator]() {},
      call(id: number, _target: CelValue | undefined, args: CelValue[]): CelResult {
        if (current !== null && !current.charge(1 + sizeOf(args[0]))) return celError(current.message, id);
        return args[0]!;
      },
    };
  }
  if (inner === undefined) return undefined;
  const deep = DEEP.has(name);
  return {
    name: inner.name,
    [Symbol.iterator]: () => inner[Symbol.iterator](),
    call(id: number, target: CelValue | undefined, args: CelValue[]): CelResult | undefined {
      const meter = current;
      if (meter === null) return inner.call(id, target, args);
      let units = 1 + sizeOf(target) + upfront(name, target, args);
      if (deep) {
        const cap = meter.limit - meter.used + 1;
        for (const a of args) units += deepSize(a, cap);
      } else {
        for (const a of args) units += sizeOf(a);
      }
      if (!meter.charge(units)) return celError(meter.message, id);
      if (name === "_+_" && args.length === 2 && isCelList(args[0]) && isCelList(args[1])) {
        const { list, work } = AppendList.concat(args[0], args[1]);
        return meter.charge(work) ? list : celError(meter.message, id);
      }
      const result = inner.call(id, target, args);
      if (result === undefined || isCelError(result)) return result;
      return meter.charge(sizeOf(result)) ? result : celError(meter.message, id);
    },
  };
}

/**
 * An environment for planning whose every function and operator is metered.
 * plan() reads only `funcs`, `registry` and `namespace` from it.
 */
export function meteredEnv(env: CelEnv): CelEnv {
  const groups = new Map<string, FuncGroup | undefined>();
  const funcs = {
    [Symbol.iterator]: () => env.funcs[Symbol.iterator](),
    find(name: string) {
      if (!groups.has(name)) groups.set(name, meteredGroup(name, env.funcs.find(name)));
      return groups.get(name);
    },
  } as unknown as FuncResolver;
  return { namespace: env.namespace, registry: env.registry, funcs, variables: env.variables } as unknown as CelEnv;
}

// ---------------------------------------------------------------- instrumentation

function countNodes(e: Expr | undefined): number {
  if (e === undefined) return 0;
  let n = 1;
  const k = e.exprKind;
  switch (k.case) {
    case "selectExpr":
      n += countNodes(k.value.operand);
      break;
    case "callExpr":
      n += countNodes(k.value.target);
      for (const a of k.value.args) n += countNodes(a);
      break;
    case "listExpr":
      for (const a of k.value.elements) n += countNodes(a);
      break;
    case "structExpr":
      for (const en of k.value.entries) {
        if (en.keyKind.case === "mapKey") n += countNodes(en.keyKind.value);
        n += countNodes(en.value);
      }
      break;
    case "comprehensionExpr":
      for (const x of [k.value.iterRange, k.value.accuInit, k.value.loopCondition, k.value.loopStep, k.value.result])
        n += countNodes(x);
      break;
    default:
      break;
  }
  return n;
}

function call(id: bigint, fn: string, args: Expr[]): Expr {
  return { id, exprKind: { case: "callExpr", value: { function: fn, args, target: undefined } } } as unknown as Expr;
}

function intConst(id: bigint, value: number): Expr {
  return {
    id,
    exprKind: { case: "constExpr", value: { constantKind: { case: "int64Value", value: BigInt(value) } } },
  } as unknown as Expr;
}

/**
 * Rewrites a checked expression in place so that every comprehension charges
 * the meter: its range once (`@warden_range`, by size) and every iteration
 * (`@warden_tick` around the loop condition, weighted by the body's node
 * count). Names starting with "@" cannot be written in CEL source, so a
 * condition cannot call these itself. The new nodes reuse the
 * comprehension's id, so a budget error points at the macro.
 */
export function instrument(e: Expr | undefined): void {
  if (e === undefined) return;
  const k = e.exprKind;
  switch (k.case) {
    case "selectExpr":
      instrument(k.value.operand);
      return;
    case "callExpr":
      instrument(k.value.target);
      for (const a of k.value.args) instrument(a);
      return;
    case "listExpr":
      for (const a of k.value.elements) instrument(a);
      return;
    case "structExpr":
      for (const en of k.value.entries) {
        if (en.keyKind.case === "mapKey") instrument(en.keyKind.value);
        instrument(en.value);
      }
      return;
    case "comprehensionExpr": {
      const c = k.value;
      for (const x of [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result]) instrument(x);
      if (c.iterRange === undefined || c.loopCondition === undefined) return;
      const weight = 1 + countNodes(c.loopCondition) + countNodes(c.loopStep);
      c.iterRange = call(e.id, RANGE, [c.iterRange]);
      c.loopCondition = call(e.id, TICK, [c.loopCondition, intConst(e.id, weight)]);
      return;
    }
    default:
      return;
  }
}

// ---------------------------------------------------------------- static estimate

/** A size bound: the largest list/map (elements) or string (units) a node can produce. */
type Bound = { cost: number; size: number; root: string | null };

const INPUT_SIZE = Math.max(COST_LIMITS.inputListElements, stringUnits(COST_LIMITS.inputStringChars));
const SCALAR: Omit<Bound, "cost"> = { size: 0, root: null };

/**
 * What an estimate is amortised over: an iteration variable whose range is
 * part of the input. A nested loop over a part of that variable's element
 * (`params.items.all(i, i.tags.all(t, ...))`) visits each piece of the input
 * once in total, not once per outer element, because JSON values do not
 * share sub-values.
 */
type Scope = Map<string, { size: number; amortisedOver: string | null; inputPart: boolean }>;

export type CostEstimate = { cost: number; reason: string | null };

class Estimator {
  /** Loop costs counted once for all iterations of the named variable's loop. */
  private shared = new Map<string, number>();
  reason: string | null = null;

  constructor(private readonly inputs: ReadonlySet<string>) {}

  private share(variable: string, cost: number): void {
    this.shared.set(variable, (this.shared.get(variable) ?? 0) + cost);
  }

  estimate(e: Expr | undefined, scope: Scope): Bound {
    if (e === undefined) return { cost: 0, ...SCALAR };
    const k = e.exprKind;
    switch (k.case) {
      case "constExpr": {
        const c = k.value.constantKind;
        const size =
          c.case === "stringValue"
            ? stringUnits(c.value.length)
            : c.case === "bytesValue"
              ? stringUnits(c.value.length)
              : 0;
        return { cost: 1, size, root: null };
      }
      case "identExpr": {
        const v = scope.get(k.value.name);
        if (v !== undefined) return { cost: 1, size: v.size, root: v.inputPart ? k.value.name : null };
        if (this.inputs.has(k.value.name)) return { cost: 1, size: INPUT_SIZE, root: "" };
        return { cost: 1, size: 1, root: null };
      }
      case "selectExpr": {
        const o = this.estimate(k.value.operand, scope);
        if (k.value.testOnly) return { cost: o.cost + 1, ...SCALAR };
        return { cost: o.cost + 1, size: o.root !== null ? INPUT_SIZE : o.size, root: o.root };
      }
      case "listExpr": {
        let cost = 1;
        for (const a of k.value.elements) cost += this.estimate(a, scope).cost;
        return { cost, size: k.value.elements.length, root: null };
      }
      case "structExpr": {
        let cost = 1;
        for (const en of k.value.entries) {
          if (en.keyKind.case === "mapKey") cost += this.estimate(en.keyKind.value, scope).cost;
          cost += this.estimate(en.value, scope).cost;
        }
        return { cost, size: k.value.entries.length, root: null };
      }
      case "callExpr":
        return this.call(k.value, scope);
      case "comprehensionExpr":
        return this.comprehension(k.value, scope);
      default:
        return { cost: 1, ...SCALAR };
    }
  }

  private call(c: Extract<Expr["exprKind"], { case: "callExpr" }>["value"], scope: Scope): Bound {
    const target = c.target === undefined ? undefined : this.estimate(c.target, scope);
    const args = c.args.map((a) => this.estimate(a, scope));
    let cost = 1;
    // Logic and the conditional are planned as control flow, not metered calls: they only read booleans.
    const control = c.function === "_&&_" || c.function === "_||_" || c.function === "_?_:_" || c.function === "!_";
    if (control) {
      let size = 0;
      for (const a of args) {
        cost += a.cost;
        size = Math.max(size, a.size);
      }
      return { cost, size: c.function === "_?_:_" ? size : 0, root: null };
    }
    for (const a of target === undefined ? args : [target, ...args]) {
      cost += a.cost;
      // Reading a part of an iteration variable's element: over all iterations, at most the whole input.
      if (a.root !== null && a.root !== "" && scope.has(a.root)) this.share(a.root, a.size);
      else cost += a.size;
    }
    const t = target?.size ?? 0;
    const a0 = args[0]?.size ?? 0;
    const a1 = args[1]?.size ?? 0;
    let size: number;
    let root: string | null = null;
    switch (c.function) {
      case "_[_]":
        // An index into input is a part of the input.
        size = args[0]?.root !== null && args[0]?.root !== undefined ? INPUT_SIZE : a0;
        root = args[0]?.root ?? null;
        break;
      case "_+_":
        size = a0 + a1;
        break;
      case "replace":
        size = t * (1 + a1) * CHARS_PER_UNIT;
        cost += size;
        break;
      case "split":
        size = t * CHARS_PER_UNIT;
        cost += size;
        break;
      case "join":
        size = t * INPUT_SIZE;
        cost += size;
        break;
      case "format":
        size = t * (1 + a0) * CHARS_PER_UNIT;
        cost += size;
        break;
      case "matches":
        cost += (t + a0 + 1) * ((c.target === undefined ? a1 : a0) + 1);
        size = 0;
        break;
      case "lowerAscii":
      case "upperAscii":
      case "trim":
      case "substring":
      case "charAt":
      case "strings.quote":
        size = Math.max(t, a0) * 2;
        cost += size;
        break;
      case "_==_":
      case "_!=_":
      case "@in":
        size = 0;
        break;
      default:
        size = 0;
        break;
    }
    return { cost, size, root };
  }

  private comprehension(c: Extract<Expr["exprKind"], { case: "comprehensionExpr" }>["value"], scope: Scope): Bound {
    const range = this.estimate(c.iterRange, scope);
    const accu = this.estimate(c.accuInit, scope);
    const n = range.size;
    // The range is a part of an outer iteration variable's element: amortised over that loop.
    const outer = range.root !== null && range.root !== "" ? scope.get(range.root) : undefined;
    const amortisedOver = outer !== undefined ? range.root : null;
    const inner: Scope = new Map(scope);
    const elementIsInput = range.root !== null;
    inner.set(c.iterVar, { size: elementIsInput ? INPUT_SIZE : n, amortisedOver, inputPart: elementIsInput });
    if (c.iterVar2 !== "")
      inner.set(c.iterVar2, { size: elementIsInput ? INPUT_SIZE : n, amortisedOver, inputPart: elementIsInput });
    // The accumulator is a bool or the list being built, which grows by appending in place (AppendList).
    inner.set(c.accuVar, { size: 0, amortisedOver: null, inputPart: false });
    const cond = this.estimate(c.loopCondition, inner);
    const step = this.estimate(c.loopStep, inner);
    const weight = 1 + countNodes(c.loopCondition) + countNodes(c.loopStep);
    const perIteration = weight + cond.cost + step.cost;
    const ownShared = this.shared.get(c.iterVar) ?? 0;
    this.shared.delete(c.iterVar);
    // The range is charged by its size when the loop starts, then every iteration.
    const loop = n + n * perIteration + ownShared;
    // map/filter build a list (up to n elements); all/exists/exists_one a bool or a count.
    const builds = c.accuInit?.exprKind.case === "listExpr";
    const resultScope: Scope = new Map(scope);
    resultScope.set(c.accuVar, { size: builds ? n : 0, amortisedOver: null, inputPart: false });
    const result = this.estimate(c.result, resultScope);
    let cost = 1 + range.cost + 1 + accu.cost + result.cost;
    if (amortisedOver !== null) {
      // Counted once for all iterations of the outer loop, which adds it back when it closes.
      this.share(amortisedOver, loop);
    } else {
      cost += loop;
      if (this.reason === null && range.root !== null && n * perIteration > COST_LIMITS.perRule) {
        this.reason =
          "it iterates over caller-supplied data with a body that is itself expensive (typically a loop over that data inside another loop over it)";
      }
    }
    return { cost, size: result.size, root: null };
  }
}

/**
 * The worst-case cost of a checked condition over any input within the
 * limits. `inputs` names the variables that carry caller-controlled data of
 * unbounded shape (policies: params and context; alert rules: data).
 */
export function estimateCost(e: Expr | undefined, inputs: ReadonlySet<string>): CostEstimate {
  const estimator = new Estimator(inputs);
  const bound = estimator.estimate(e, new Map());
  return { cost: Math.ceil(bound.cost), reason: estimator.reason };
}

// ---------------------------------------------------------------- long loops of evaluations

/**
 * For loops that evaluate many conditions in one request or job (replay,
 * alert backtests, the alert evaluator's batch): each evaluation is bounded,
 * but thousands in a row would still hold the event loop. Call the returned
 * function between evaluations; it yields to other work once `sliceMs` of
 * uninterrupted work has passed.
 */
export function cooperative(sliceMs = 4): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    since = performance.now();
  };
}
