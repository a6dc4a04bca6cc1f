import { describe, expect, it } from "vitest";
import {
  CONDITION_VARIABLE_DOCS,
  EXAMPLE_RULES,
  POLICY_LIMITS,
  compilePolicy,
  createDefaultPolicy,
  evaluatePolicy,
  parseAndCompilePolicy,
  policyInputSchema,
} from "@/lib/policy";
import { CONDITION_VARIABLES } from "@/lib/policy/cel/types";
import { input } from "./helpers";

describe("default policy", () => {
  it("is a single default-deny rule that validates and compiles", () => {
    const { rules, compiled } = parseAndCompilePolicy(createDefaultPolicy());
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ name: "Default deny", effect: "deny", risk_level: "high" });
    expect(rules[0]!.condition.length).toBeLessThanOrEqual(POLICY_LIMITS.maxConditionLength);
    expect(compiled.rules).toHaveLength(1);
  });

  it("denies every action, naming the default rule", () => {
    const { compiled } = parseAndCompilePolicy(createDefaultPolicy());
    for (const overrides of [
      {},
      { tool: "payments", params: { amount: 1 } },
      { env: "development" as const, operation: "delete" },
    ]) {
      const d = evaluatePolicy(compiled, input(overrides));
      expect([d.effect, d.rule?.name, d.outcome]).toEqual(["deny", "Default deny", "matched"]);
    }
  });

  it("carries every example as a commented-out condition", () => {
    const condition = createDefaultPolicy().rules[0]!.condition;
    for (const example of EXAMPLE_RULES) {
      for (const line of example.condition.split("\n")) expect(condition).toContain(`//   ${line}`);
    }
    expect(condition.trimEnd().endsWith("true")).toBe(true);
  });

  it("returns a fresh object each time", () => {
    const a = createDefaultPolicy();
    a.rules.length = 0;
    expect(createDefaultPolicy().rules).toHaveLength(1);
  });
});

describe("example rules", () => {
  const compiled = compilePolicy(policyInputSchema.parse({ rules: EXAMPLE_RULES }).rules);
  const decide = (overrides: Parameters<typeof input>[0]) => {
    const d = evaluatePolicy(compiled, input(overrides));
    return [d.effect, d.rule?.name ?? null, d.risk_level];
  };

  it("all compile", () => {
    expect(compiled.rules).toHaveLength(EXAMPLE_RULES.length);
  });

  it("allow GET to an allowlisted domain through http_proxy", () => {
    const params = { method: "get", url: "https://api.github.com/repos" };
    expect(decide({ env: "development", params })).toEqual(["allow", "Allow reads from allowlisted APIs", "low"]);
    expect(decide({ params: { ...params, url: "https://evil.com/" } })[0]).toBe("deny");
    expect(decide({ params: { ...params, method: "POST" } })[0]).toBe("deny");
    expect(decide({ params: { ...params, url: "http://api.github.com/" } })[0]).toBe("deny");
  });

  it("require two approvals, high risk, for payments over the amount", () => {
    const d = evaluatePolicy(
      compiled,
      input({ tool: "payments", operation: "create_payment", params: { amount: 750 } }),
    );
    expect([d.effect, d.risk_level, d.approvals_required, d.approval_ttl_seconds]).toEqual([
      "require_approval",
      "high",
      2,
      3600,
    ]);
    expect(decide({ tool: "payments", operation: "create_payment", params: { amount: 20 } })[0]).toBe("deny");
  });

  it("deny deletes in production", () => {
    expect(decide({ tool: "db", operation: "delete" })).toEqual(["deny", "Block deletes in production", "critical"]);
    expect(decide({ tool: "db", operation: "delete_user" })[1]).toBe("Block deletes in production");
    expect(decide({ tool: "db", operation: "delete", env: "development" })[1]).toBeNull();
  });

  it("allow internal database reads by source address", () => {
    expect(decide({ tool: "postgres", operation: "select", context: { source_ip: "10.4.5.6" } })[0]).toBe("allow");
    expect(decide({ tool: "postgres", operation: "select", context: { source_ip: "8.8.8.8" } })[0]).toBe("deny");
  });
});

describe("variable documentation", () => {
  it("lists exactly the variables a condition can use", () => {
    expect(CONDITION_VARIABLE_DOCS.map((v) => v.name)).toEqual(Object.keys(CONDITION_VARIABLES));
    expect(Object.keys(CONDITION_VARIABLES)).toEqual(["agent", "tool", "operation", "params", "context", "env"]);
  });
});
