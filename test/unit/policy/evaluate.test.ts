import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_DENY_REASON,
  type Decision,
  type Effect,
  type RuleInput,
  compilePolicy,
  evaluatePolicy,
  explainPolicy,
  policyInputSchema,
} from "@/lib/policy";
import { input } from "./helpers";

function policy(rules: RuleInput[]) {
  return compilePolicy(policyInputSchema.parse({ rules }).rules);
}

const rule = (name: string, condition: string, effect: Effect, extra: Partial<RuleInput> = {}): RuleInput => ({
  name,
  condition,
  effect,
  ...extra,
});

describe("first match wins", () => {
  const p = policy([
    rule("deny prod deletes", 'env == "production" && operation == "delete"', "deny"),
    rule("approve payments", 'tool == "payments"', "require_approval"),
    rule("allow everything", "true", "allow"),
  ]);

  it("the earliest true rule decides, even when later rules also match", () => {
    const d = evaluatePolicy(p, input({ operation: "delete" }));
    expect(d.rule).toEqual({ index: 0, name: "deny prod deletes" });
    expect(d.effect).toBe("deny");
  });

  it("false rules are skipped", () => {
    expect(evaluatePolicy(p, input({ tool: "payments" })).rule).toEqual({ index: 1, name: "approve payments" });
    expect(evaluatePolicy(p, input({ tool: "search" })).rule).toEqual({ index: 2, name: "allow everything" });
    expect(evaluatePolicy(p, input({ operation: "delete", env: "development" })).rule?.index).toBe(2);
  });

  it("order is what decides: swapping two rules swaps the outcome", () => {
    const a = policy([rule("allow", "true", "allow"), rule("deny", "true", "deny")]);
    const b = policy([rule("deny", "true", "deny"), rule("allow", "true", "allow")]);
    expect(evaluatePolicy(a, input()).effect).toBe("allow");
    expect(evaluatePolicy(b, input()).effect).toBe("deny");
  });
});

describe("default deny", () => {
  it("denies with no rule when nothing matches", () => {
    const d = evaluatePolicy(policy([rule("never", "false", "allow")]), input());
    expect(d).toEqual<Decision>({
      effect: "deny",
      risk_level: "high",
      reason: DEFAULT_DENY_REASON,
      rule: null,
      approvals_required: null,
      approval_ttl_seconds: null,
      outcome: "default",
    });
    expect(d.reason).toBe("No rule matched (default deny)");
  });

  it("an empty policy denies everything", () => {
    expect(evaluatePolicy(policy([]), input()).effect).toBe("deny");
  });
});

describe("effects, risk levels and approval fields", () => {
  it("allow defaults to low risk and carries no approval fields", () => {
    expect(evaluatePolicy(policy([rule("a", "true", "allow")]), input())).toEqual<Decision>({
      effect: "allow",
      risk_level: "low",
      reason: 'Matched rule "a"',
      rule: { index: 0, name: "a" },
      approvals_required: null,
      approval_ttl_seconds: null,
      outcome: "matched",
    });
  });

  it("deny defaults to high risk", () => {
    const d = evaluatePolicy(policy([rule("d", "true", "deny", { reason: "Not today" })]), input());
    expect([d.effect, d.risk_level, d.reason, d.approvals_required]).toEqual(["deny", "high", "Not today", null]);
  });

  it("require_approval defaults to medium risk, one approval, 24 hours", () => {
    const d = evaluatePolicy(policy([rule("r", "true", "require_approval")]), input());
    expect([d.effect, d.risk_level, d.approvals_required, d.approval_ttl_seconds]).toEqual([
      "require_approval",
      "medium",
      1,
      86_400,
    ]);
  });

  it("carries an explicit risk level, quorum and expiry", () => {
    const d = evaluatePolicy(
      policy([
        rule("r", "true", "require_approval", {
          risk_level: "critical",
          approvals_required: 3,
          approval_ttl_seconds: 600,
          reason: "Two-person rule",
        }),
      ]),
      input(),
    );
    expect(d).toEqual<Decision>({
      effect: "require_approval",
      risk_level: "critical",
      reason: "Two-person rule",
      rule: { index: 0, name: "r" },
      approvals_required: 3,
      approval_ttl_seconds: 600,
      outcome: "matched",
    });
  });

  it("an allow rule may carry any risk level", () => {
    expect(evaluatePolicy(policy([rule("a", "true", "allow", { risk_level: "medium" })]), input()).risk_level).toBe(
      "medium",
    );
  });
});

describe("fail closed on runtime errors", () => {
  it("a missing key denies, naming the rule and the error, and later allows are not reached", () => {
    const p = policy([
      rule("block big payments", "params.amount > 1000", "deny"),
      rule("allow the rest", "true", "allow"),
    ]);
    const d = evaluatePolicy(p, input({ params: {} }));
    expect(d.effect).toBe("deny");
    expect(d.outcome).toBe("error");
    expect(d.rule).toEqual({ index: 0, name: "block big payments" });
    expect(d.reason).toContain('Rule "block big payments" could not be evaluated');
    expect(d.reason).toMatch(/line 1, column \d+: .*amount/);
    expect(d.approvals_required).toBeNull();
  });

  it("a wrong type at run time denies", () => {
    const p = policy([rule("big", "params.amount > 1000", "allow")]);
    const d = evaluatePolicy(p, input({ params: { amount: "lots" } }));
    expect([d.effect, d.outcome]).toEqual(["deny", "error"]);
    expect(d.reason).toMatch(/no matching overload/);
  });

  it("a dyn condition that turns out not to be a bool denies", () => {
    const p = policy([rule("flag", "params.flag", "allow")]);
    expect(evaluatePolicy(p, input({ params: { flag: true } })).effect).toBe("allow");
    const d = evaluatePolicy(p, input({ params: { flag: "yes" } }));
    expect([d.effect, d.outcome]).toEqual(["deny", "error"]);
    expect(d.reason).toMatch(/evaluated to a string, not a bool/);
  });

  it("an erroring require_approval rule denies with at least high risk", () => {
    const p = policy([rule("r", "params.x == 1", "require_approval", { risk_level: "low" })]);
    const d = evaluatePolicy(p, input());
    expect([d.effect, d.risk_level, d.approvals_required, d.approval_ttl_seconds]).toEqual([
      "deny",
      "high",
      null,
      null,
    ]);
    const critical = policy([rule("r", "params.x == 1", "allow", { risk_level: "critical" })]);
    expect(evaluatePolicy(critical, input()).risk_level).toBe("critical");
  });

  it("an error guarded by a false && operand is not an error", () => {
    const p = policy([
      rule("payments only", 'tool == "payments" && params.amount > 1000', "deny"),
      rule("rest", "true", "allow"),
    ]);
    expect(evaluatePolicy(p, input({ tool: "search" })).effect).toBe("allow");
    expect(evaluatePolicy(p, input({ tool: "payments", params: { amount: 5000 } })).effect).toBe("deny");
  });

  it("division by zero and overflow deny", () => {
    expect(
      evaluatePolicy(policy([rule("z", "1 / int(params.n) == 1", "allow")]), input({ params: { n: 0 } })).outcome,
    ).toBe("error");
    expect(
      evaluatePolicy(
        policy([rule("o", "9223372036854775807 + int(params.n) > 0", "allow")]),
        input({ params: { n: 1 } }),
      ).outcome,
    ).toBe("error");
  });

  it("input nested too deeply denies instead of throwing", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 200; i++) deep = { d: deep };
    const d = evaluatePolicy(policy([rule("a", "true", "allow")]), input({ params: { deep } }));
    expect([d.effect, d.outcome, d.rule]).toEqual(["deny", "error", null]);
  });
});

describe("action input", () => {
  const p = policy([rule("match", "params.constructor == 1 && params.x.y == 2 && context.list[1] == 'b'", "allow")]);

  it("treats keys such as constructor as ordinary data", () => {
    const d = evaluatePolicy(p, input({ params: { constructor: 1, x: { y: 2 } }, context: { list: ["a", "b"] } }));
    expect(d.effect).toBe("allow");
  });

  it("accepts objects without a prototype", () => {
    const params = Object.assign(Object.create(null) as Record<string, unknown>, { constructor: 1, x: { y: 2 } });
    expect(evaluatePolicy(p, input({ params, context: { list: ["a", "b"] } })).effect).toBe("allow");
  });

  it("drops undefined values the way JSON does", () => {
    const q = policy([rule("has", "has(params.a)", "allow")]);
    expect(evaluatePolicy(q, input({ params: { a: undefined } })).effect).toBe("deny");
    expect(evaluatePolicy(q, input({ params: { a: 1 } })).effect).toBe("allow");
  });

  it("exposes agent, tool, operation and env", () => {
    const q = policy([
      rule(
        "all",
        'agent.slug == "billing-bot" && agent.name == "Billing bot" && agent.environment == "production" && tool == "http_proxy" && operation == "request" && env == "production"',
        "allow",
      ),
    ]);
    expect(evaluatePolicy(q, input()).effect).toBe("allow");
    expect(evaluatePolicy(q, input({ env: "development" })).effect).toBe("deny");
  });

  it("JSON numbers are doubles that compare with int literals", () => {
    const q = policy([rule("n", "params.n == 3 && params.n > 2 && params.n < 3.5", "allow")]);
    expect(evaluatePolicy(q, input({ params: { n: 3 } })).effect).toBe("allow");
  });
});

describe("explainPolicy", () => {
  it("returns the same decision and every rule's own result", () => {
    const p = policy([
      rule("a", "false", "deny"),
      rule("b", 'tool == "http_proxy"', "allow"),
      rule("c", "params.missing", "deny"),
      rule("d", "true", "deny"),
    ]);
    const { decision, rules } = explainPolicy(p, input());
    expect(decision).toEqual(evaluatePolicy(p, input()));
    expect(rules.map((r) => r.result)).toEqual(["false", "true", "error", "true"]);
    expect(rules[2]?.error).toMatch(/missing/);
  });

  it("reports the first error as the decision", () => {
    const p = policy([rule("a", "params.missing", "allow"), rule("b", "true", "allow")]);
    expect(explainPolicy(p, input()).decision.outcome).toBe("error");
  });
});

describe("property: the first true constant condition decides", () => {
  const constantTrue = ["true", "!false", "1 == 1", "true || false", "'a' < 'b'"];
  const constantFalse = ["false", "!true", "1 == 2", "true && false", "size([]) > 0"];
  const arbRule = fc.record({
    value: fc.boolean(),
    variant: fc.nat({ max: 4 }),
    effect: fc.constantFrom<Effect>("allow", "deny", "require_approval"),
  });

  it("holds for random rule lists", () => {
    fc.assert(
      fc.property(fc.array(arbRule, { maxLength: 12 }), (spec) => {
        const p = policy(
          spec.map((r, i) => rule(`rule ${i}`, (r.value ? constantTrue : constantFalse)[r.variant]!, r.effect)),
        );
        const d = evaluatePolicy(p, input());
        const first = spec.findIndex((r) => r.value);
        if (first === -1) {
          expect(d.rule).toBeNull();
          expect(d.effect).toBe("deny");
          expect(d.outcome).toBe("default");
        } else {
          expect(d.rule).toEqual({ index: first, name: `rule ${first}` });
          expect(d.effect).toBe(spec[first]!.effect);
          expect(d.approvals_required !== null).toBe(spec[first]!.effect === "require_approval");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("an erroring rule stops evaluation like a deny", () => {
    const arb = fc.array(fc.constantFrom("true", "false", "params.missing"), { maxLength: 10 });
    fc.assert(
      fc.property(arb, (conditions) => {
        const p = policy(conditions.map((c, i) => rule(`rule ${i}`, c, "allow")));
        const d = evaluatePolicy(p, input());
        const first = conditions.findIndex((c) => c !== "false");
        if (first === -1) expect(d.outcome).toBe("default");
        else if (conditions[first] === "true") expect([d.effect, d.rule?.index]).toEqual(["allow", first]);
        else expect([d.effect, d.outcome, d.rule?.index]).toEqual(["deny", "error", first]);
      }),
      { numRuns: 200 },
    );
  });
});
