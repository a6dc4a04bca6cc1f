import { describe, expect, it } from "vitest";
import { DEFAULT_RISK_LEVEL, evaluationInputSchema, policyInputSchema, ruleInputSchema } from "@/lib/policy";

const base = { name: "Rule", condition: "true", effect: "allow" } as const;

function issues(
  schema: {
    safeParse: (v: unknown) => { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  value: unknown,
) {
  const r = schema.safeParse(value);
  expect(r.success, "expected the value to be rejected").toBe(false);
  return r.error!.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

describe("ruleInputSchema", () => {
  it("normalises a minimal rule", () => {
    expect(ruleInputSchema.parse(base)).toEqual({
      name: "Rule",
      condition: "true",
      effect: "allow",
      risk_level: "low",
      reason: "",
      approvals_required: null,
      approval_ttl_seconds: null,
    });
  });

  it("defaults the risk level from the effect", () => {
    expect(DEFAULT_RISK_LEVEL).toEqual({ allow: "low", require_approval: "medium", deny: "high" });
    expect(ruleInputSchema.parse({ ...base, effect: "deny" }).risk_level).toBe("high");
    expect(ruleInputSchema.parse({ ...base, effect: "require_approval" }).risk_level).toBe("medium");
    expect(ruleInputSchema.parse({ ...base, effect: "deny", risk_level: "critical" }).risk_level).toBe("critical");
  });

  it("fills approval defaults for require_approval only", () => {
    const r = ruleInputSchema.parse({ ...base, effect: "require_approval" });
    expect([r.approvals_required, r.approval_ttl_seconds]).toEqual([1, 86_400]);
    const s = ruleInputSchema.parse({
      ...base,
      effect: "require_approval",
      approvals_required: 5,
      approval_ttl_seconds: 604_800,
    });
    expect([s.approvals_required, s.approval_ttl_seconds]).toEqual([5, 604_800]);
  });

  it("trims the name and reason but never the condition", () => {
    const r = ruleInputSchema.parse({ ...base, name: "  Spaced  ", reason: " why ", condition: "  true  " });
    expect([r.name, r.reason, r.condition]).toEqual(["Spaced", "why", "  true  "]);
  });

  it.each(["approvals_required", "approval_ttl_seconds"] as const)(
    "rejects %s on allow and deny with a clear message",
    (field) => {
      for (const effect of ["allow", "deny"] as const) {
        const value = field === "approvals_required" ? 2 : 3600;
        expect(issues(ruleInputSchema, { ...base, effect, [field]: value })).toEqual([
          {
            path: field,
            message: `${field} only applies when effect is "require_approval" (this rule's effect is "${effect}")`,
          },
        ]);
      }
    },
  );

  it("accepts null approval fields on any effect", () => {
    expect(
      ruleInputSchema.parse({ ...base, approvals_required: null, approval_ttl_seconds: null }).approvals_required,
    ).toBeNull();
    expect(
      ruleInputSchema.parse({ ...base, effect: "require_approval", approvals_required: null }).approvals_required,
    ).toBe(1);
  });

  it.each([
    [{ approvals_required: 0 }, "approvals_required"],
    [{ approvals_required: 6 }, "approvals_required"],
    [{ approvals_required: 1.5 }, "approvals_required"],
    [{ approvals_required: "2" }, "approvals_required"],
    [{ approval_ttl_seconds: 59 }, "approval_ttl_seconds"],
    [{ approval_ttl_seconds: 604_801 }, "approval_ttl_seconds"],
    [{ approval_ttl_seconds: 90.5 }, "approval_ttl_seconds"],
  ])("rejects out-of-range approval settings %j", (extra, path) => {
    expect(issues(ruleInputSchema, { ...base, effect: "require_approval", ...extra }).map((i) => i.path)).toEqual([
      path,
    ]);
  });

  it.each([
    [{ name: "" }, "name"],
    [{ name: "   " }, "name"],
    [{ name: "x".repeat(101) }, "name"],
    [{ condition: "" }, "condition"],
    [{ condition: "   " }, "condition"],
    [{ condition: "x".repeat(4097) }, "condition"],
    [{ reason: "x".repeat(501) }, "reason"],
    [{ effect: "maybe" }, "effect"],
    [{ risk_level: "extreme" }, "risk_level"],
    [{ priority: 1 }, ""],
  ])("rejects %j", (extra, path) => {
    expect(issues(ruleInputSchema, { ...base, ...extra }).map((i) => i.path)).toEqual([path]);
  });

  it("accepts the limits themselves", () => {
    expect(
      ruleInputSchema.safeParse({
        ...base,
        name: "x".repeat(100),
        reason: "y".repeat(500),
        condition: `${" ".repeat(4092)}true`,
      }).success,
    ).toBe(true);
  });
});

describe("policyInputSchema", () => {
  const rules = (n: number) => Array.from({ length: n }, (_, i) => ({ ...base, name: `Rule ${i}` }));

  it("accepts up to 200 rules and rejects 201", () => {
    expect(policyInputSchema.safeParse({ rules: rules(200) }).success).toBe(true);
    expect(issues(policyInputSchema, { rules: rules(201) }).map((i) => i.path)).toEqual(["rules"]);
  });

  it("accepts an empty rule list (everything is denied)", () => {
    expect(policyInputSchema.parse({ rules: [] }).rules).toEqual([]);
  });

  it("rejects duplicate names, compared trimmed and case-insensitively", () => {
    expect(
      issues(policyInputSchema, {
        rules: [
          { ...base, name: "Block deletes" },
          { ...base, name: "Other" },
          { ...base, name: " block DELETES " },
        ],
      }),
    ).toEqual([{ path: "rules.2.name", message: "Rule names must be unique: rule 3 has the same name as rule 1" }]);
  });

  it("reports the rule index in nested paths", () => {
    expect(
      issues(policyInputSchema, { rules: [base, { ...base, name: "b", effect: "allow", approvals_required: 2 }] }),
    ).toEqual([{ path: "rules.1.approvals_required", message: expect.stringContaining("only applies") }]);
  });

  it("rejects unknown top-level keys and missing rules", () => {
    expect(issues(policyInputSchema, { rules: [], extra: 1 }).map((i) => i.path)).toEqual([""]);
    expect(issues(policyInputSchema, {}).map((i) => i.path)).toEqual(["rules"]);
  });
});

describe("evaluationInputSchema", () => {
  const valid = {
    agent: { slug: "a", name: "A", environment: "production" },
    tool: "http_proxy",
    operation: "request",
    env: "production",
  };

  it("defaults params and context to empty objects", () => {
    expect(evaluationInputSchema.parse(valid)).toEqual({ ...valid, params: {}, context: {} });
  });

  it("rejects an unknown environment and non-JSON params", () => {
    expect(issues(evaluationInputSchema, { ...valid, env: "staging" }).map((i) => i.path)).toEqual(["env"]);
    expect(evaluationInputSchema.safeParse({ ...valid, params: { f: () => 1 } }).success).toBe(false);
    expect(evaluationInputSchema.safeParse({ ...valid, params: [] }).success).toBe(false);
  });
});
