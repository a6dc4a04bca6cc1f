import { describe, expect, it } from "vitest";
import { compileAlertCondition } from "@/lib/alerts/condition";
import { AppError } from "@/lib/errors";
import {
  COST_LIMITS,
  CostMeter,
  checkCondition,
  compileRule,
  compileStoredPolicy,
  evaluatePolicy,
  explainPolicy,
  parseAndCompilePolicy,
  policyInputSchema,
} from "@/lib/policy";
import { input, value } from "./helpers";

/** The attack: a nested comprehension over a list the agent sends. */
const NESTED = "params.l.all(a, params.l.all(b, b == 0))";
const zeros = (n: number) => Array.from({ length: n }, () => 0);

function stored(condition: string, effect: "allow" | "deny" = "allow") {
  const rules = policyInputSchema.parse({ rules: [{ name: "r", condition, effect }] }).rules;
  return compileStoredPolicy(rules);
}

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error("expected an AppError");
}

describe("the static estimate refuses superlinear conditions at save", () => {
  it.each([
    NESTED,
    "params.l.all(a, params.l.all(b, b)) || true",
    "params.l.exists(a, context.m.exists(b, a == b))",
    "params.s.replace('', params.s).size() > 0",
    "params.l.map(x, params.l).map(y, y.size()).size() > 0",
  ])("%s", (condition) => {
    const errors = checkCondition(condition);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: "cost", line: 1, column: 1 });
    expect(errors[0]!.message).toMatch(/too expensive: its worst case .* cost units, above the limit of 10,000,000/);
  });

  it("a save reports it as a 422 field error on the rule", () => {
    const e = thrown(() =>
      parseAndCompilePolicy({
        rules: [
          { name: "fine", condition: "true", effect: "deny" },
          { name: "nested", condition: NESTED, effect: "allow" },
        ],
      }),
    );
    expect(e.code).toBe("validation_failed");
    expect(e.errors).toEqual([
      {
        path: "rules.1.condition",
        message: expect.stringMatching(/^line 1, column 1: the condition is too expensive/),
      },
    ]);
  });

  it.each([
    "params.l.exists(x, x == 1)",
    "params.l.map(x, x + 1.0).size() > 0",
    "params.l.filter(x, x == 0.0).size() > 0",
    "params.recipients.all(r, r.domains.all(d, d.endsWith('.example.com')))",
    "params.hosts.all(h, ['a.example', 'b.example'].exists(d, h == d))",
    "params.s.matches('^[a-z]+$') && url_host_in(params.url, ['*.example.com'])",
    'tool == "payments" && params.amount > 500',
  ])("linear conditions pass: %s", (condition) => {
    expect(checkCondition(condition)).toEqual([]);
  });

  it("a policy whose rules add up above the per-policy ceiling is refused as a whole", () => {
    // Each rule is admitted alone (a few million units); a few dozen of them are not.
    const one = "params.l.all(x, x.size() > 0 && x.size() < 100 && x.startsWith('a') && x.endsWith('z'))";
    expect(checkCondition(one)).toEqual([]);
    const rules = Array.from({ length: 40 }, (_, i) => ({ name: `r${i}`, condition: one, effect: "allow" }));
    const e = thrown(() => parseAndCompilePolicy({ rules }));
    expect(e.errors).toEqual([
      {
        path: "rules",
        message: expect.stringMatching(/^The policy is too expensive: .* above the limit of 50,000,000/),
      },
    ]);
  });

  it("alert conditions get the same ceiling on save, not when a stored rule is loaded", () => {
    const nested = "data.l.all(a, data.l.all(b, b == 0))";
    const e = thrown(() => compileAlertCondition(nested, "spec.condition"));
    expect(e.errors?.[0]).toMatchObject({ path: "spec.condition" });
    expect(e.errors?.[0]?.message).toMatch(/too expensive/);
    expect(() => compileAlertCondition(nested, "spec.condition", false)).not.toThrow();
  });
});

describe("the runtime budget stops any evaluation", () => {
  it("the issue's nested comprehension in a stored policy: denied, with the reason, after the budget", () => {
    const policy = stored(NESTED);
    const d = evaluatePolicy(policy, input({ params: { l: zeros(2000) } }));
    expect(d).toMatchObject({ effect: "deny", outcome: "error", rule: { index: 0, name: "r" } });
    expect(d.reason).toMatch(
      /could not be evaluated, so the action is denied: line 1, column \d+: evaluation stopped: the condition exceeded its cost budget of 100,000 units/,
    );
  });

  it("the meter stops within the budget: it does not run on past it", () => {
    const policy = stored(NESTED);
    const meter = new CostMeter();
    const r = policy.rules[0]!.compiled.run({ params: new Map([["l", zeros(5000)]]) } as never, meter);
    expect(r.ok).toBe(false);
    expect(meter.exceeded).toBe(true);
    // The last charge can overshoot by one call's worth (here: one range of 5,000), never by the loop.
    expect(meter.used).toBeLessThan(COST_LIMITS.perEvaluation + 10_000);
  });

  it("an error swallowed by || still denies: a spent budget decides", () => {
    const policy = stored("params.l.all(a, params.l.all(b, b)) || true");
    const d = evaluatePolicy(policy, input({ params: { l: Array.from({ length: 3000 }, () => true) } }));
    expect(d).toMatchObject({ effect: "deny", outcome: "error" });
    expect(d.reason).toMatch(/cost budget/);
  });

  it("an admitted linear rule over a list too large for the budget is denied, and the same rule passes a normal list", () => {
    const policy = stored("params.l.all(x, x == 0.0)");
    expect(evaluatePolicy(policy, input({ params: { l: zeros(100) } }))).toMatchObject({ effect: "allow" });
    expect(evaluatePolicy(policy, input({ params: { l: zeros(30_000) } }))).toMatchObject({
      effect: "deny",
      outcome: "error",
    });
  });

  it.each([
    ["string amplification", "params.s.replace('', params.s).size() > 0", { s: "a".repeat(60_000) }],
    [
      "join of one big string repeated",
      "params.l.map(x, params.s).join('').size() > 0",
      { s: "a".repeat(60_000), l: zeros(100) },
    ],
    [
      "format",
      `'${"%s".repeat(8)}'.format([${Array(8).fill("params.s").join(", ")}]).size() > 0`,
      { s: "a".repeat(60_000) },
    ],
    [
      "a long pattern from the input over a long text",
      "params.s.matches(params.p)",
      { s: "a".repeat(60_000), p: "(a|aa)*".repeat(800) },
    ],
    ["equality of deep structures", "params.l.map(x, params.l) == params.l.map(x, params.l)", { l: zeros(1000) }],
  ])("%s", (_, condition, params) => {
    const policy = stored(condition);
    const d = evaluatePolicy(policy, input({ params }));
    expect(d).toMatchObject({ effect: "deny", outcome: "error" });
  });

  it("the rules of one evaluation share the budget", () => {
    const cheapAlone = "params.l.all(x, x == 0.0) && false";
    const rules = policyInputSchema.parse({
      rules: Array.from({ length: 5 }, (_, i) => ({ name: `r${i}`, condition: cheapAlone, effect: "allow" })),
    }).rules;
    const policy = compileStoredPolicy(rules);
    // 8,000 elements: each rule alone fits the budget, five in a row do not.
    const one = policy.rules[0]!.compiled.run({ params: new Map([["l", zeros(8000)]]) } as never);
    expect(one).toEqual({ ok: true, value: false });
    const d = evaluatePolicy(policy, input({ params: { l: zeros(8000) } }));
    expect(d).toMatchObject({ effect: "deny", outcome: "error" });
    expect(d.rule?.index).toBeGreaterThan(0);
  });

  it("the simulator's trace reaches the same decision", () => {
    const policy = stored(NESTED);
    const { decision, rules } = explainPolicy(policy, input({ params: { l: zeros(2000) } }));
    expect(decision).toEqual(evaluatePolicy(policy, input({ params: { l: zeros(2000) } })));
    expect(rules[0]).toMatchObject({ result: "error", error: expect.stringMatching(/cost budget/) });
  });
});

describe("metering keeps CEL's meaning", () => {
  it.each([
    "[1, 2].map(x, x * 2) == [2, 4]",
    "[1, 2, 3].filter(x, x > 1) == [2, 3]",
    "[1, 2].map(x, x) + [3] == [1, 2, 3]",
    // A list built by map, appended to twice: each result keeps its own elements.
    "[[1].map(x, x)].all(m, (m + [2]) == [1, 2] && (m + [3]) == [1, 3] && m == [1])",
    "[1, 2, 3].map(x, x).map(y, y + 1)[2] == 4",
    "size([1, 2].map(x, x) + [3].map(x, x)) == 3",
    "3 in [1, 2].map(x, x) + [3]",
    "[1, 2].exists_one(x, x == 2)",
    "{'a': 1, 'b': 2}.all(k, k in ['a', 'b'])",
    "'a-b-c'.split('-').join('+') == 'a+b+c'",
    "'abc'.replace('b', 'x') == 'axc'",
  ])("%s", (condition) => {
    expect(value(condition)).toBe(true);
  });

  it("compileRule still compiles and runs a condition on its own budget", () => {
    const c = compileRule("params.l.size() == 3");
    expect(c.run({ params: new Map([["l", [1, 2, 3]]]) } as never)).toEqual({ ok: true, value: true });
    expect(c.cost).toBeGreaterThan(0);
  });
});
