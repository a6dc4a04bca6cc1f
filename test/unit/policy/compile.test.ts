import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import {
  type ConditionError,
  checkCondition,
  checkPolicyConditions,
  compilePolicy,
  compileRule,
  parseAndCompilePolicy,
  policyInputSchema,
} from "@/lib/policy";
import { value } from "./helpers";

function firstError(condition: string): ConditionError {
  const errors = checkCondition(condition);
  expect(errors.length, `expected "${condition}" to fail`).toBeGreaterThan(0);
  return errors[0]!;
}

function at(condition: string): [number, number] {
  const e = firstError(condition);
  return [e.line, e.column];
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

describe("syntax errors carry the position a person would look at", () => {
  it.each([
    ["a.b(", 1, 5],
    ['tool == "abc', 1, 9],
    ['tool == "x" && (operation ||', 1, 29],
    ["tool ==", 1, 8],
    ['tool = "x"', 1, 6],
    ['tool == "x" & env == "y"', 1, 13],
    ['tool == "x" "y"', 1, 13],
    ["f(1,)", 1, 5],
    ["[1, 2", 1, 6],
    ["1 +", 1, 4],
    ['tool == "x" @', 1, 13],
    ["0x == 1", 1, 1],
    ["if == 1", 1, 1],
  ])("%j -> line %i, column %i", (condition, line, column) => {
    const e = firstError(condition);
    expect(e.kind).toBe("syntax");
    expect([e.line, e.column]).toEqual([line, column]);
  });

  it("counts lines across \\n, \\r\\n and \\r", () => {
    expect(at('tool == "x"\n  && env == "production"\n  && )')).toEqual([3, 6]);
    expect(at('tool == "x"\r\n  && )')).toEqual([2, 6]);
    expect(at('tool == "x"\r  && )')).toEqual([2, 6]);
  });

  it("counts columns in characters, not UTF-16 units", () => {
    const e = firstError('"😀" == tool @');
    expect([e.line, e.column]).toEqual([1, 13]);
    expect(e.offset).toBe(13); // 0-based UTF-16: the emoji is two units
  });

  it("reports an unclosed bracket with where it was opened", () => {
    expect(firstError("(((tool").message).toContain("opened at line 1, column 3");
    expect(firstError('url_host_in(params.url, ["a.io"]').message).toContain(
      "close the call opened at line 1, column 12",
    );
  });

  it("reports an unterminated string at its opening quote", () => {
    expect(firstError('env == "production" && tool == "http').column).toBe(32);
    expect(firstError('tool == "a\nb"').message).toMatch(/not closed before the end of the line/);
  });

  it("rejects empty and comment-only conditions", () => {
    expect(firstError("").message).toBe("the condition is empty");
    expect(firstError("  // nothing here\n").message).toBe("the condition is empty");
  });

  it("rejects conditions nested beyond the limit instead of overflowing the stack", () => {
    expect(firstError(`${"(".repeat(500)}true${")".repeat(500)}`).message).toMatch(/nested too deeply/);
    expect(firstError(`1${" + 1".repeat(400)} > 0`).message).toMatch(/nested too deeply/);
  });

  it("accepts // comments anywhere, including at the very end", () => {
    expect(checkCondition('// header\ntool == "x" // trailing')).toEqual([]);
    expect(checkCondition('tool == "x" // one\n  && env == "production" // two')).toEqual([]);
  });

  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        for (const e of checkCondition(s)) {
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.column).toBeGreaterThanOrEqual(1);
          expect(e.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
    const alphabet = fc.constantFrom(..."()[]{}.,:?!-+*/%<>=&|\"' \nabtrue0x1in".split(""));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (chars) => {
        expect(Array.isArray(checkCondition(chars.join("")))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe("type errors", () => {
  it.each([
    ["parms.url == 'x'", 1, 1, /unknown variable 'parms' \(did you mean 'params'\?\)/],
    ['tool == "x" && user.id == 1', 1, 16, /unknown variable 'user'/],
    ["[1, 2].exists(x, x > limit)", 1, 22, /unknown variable 'limit'/],
    ['agent.slugg == "x"', 1, 6, /agent has no field 'slugg' \(did you mean 'slug'\?\)/],
    ["tool.lowercase() == 'x'", 1, 5, /unknown function 'lowercase'/],
    ["tool + 1 == 'x'", 1, 6, /no matching overload for '\+' applied to \(string, int\)/],
    ["tool == 1", 1, 6, /compares string with int/],
    ["has(tool.x)", 1, 1, /type 'string' has no fields/],
    ["tool.exists(c, c == 'a')", 1, 1, /cannot iterate/],
    ["9223372036854775808 > 0", 1, 1, /out of range/],
    ["tool.matches('(')", 1, 14, /invalid regular expression/],
    ['url_host_in(params.url, ["*"])', 1, 26, /not a valid host pattern/],
    ['ip_in_cidr(params.ip, "10.0.0.0/33")', 1, 23, /not a valid CIDR range/],
    ['http_method_in(params.method, ["GET", "GE T"])', 1, 39, /not a valid HTTP method/],
    ['url_host_in(params.url, "a.io")', 1, 1, /expected url_host_in\(string, list\(dyn\)\)/],
  ])("%j -> line %i, column %i", (condition, line, column, message) => {
    const e = firstError(condition);
    expect(e.kind).toBe("type");
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.message).toMatch(message);
  });

  it("locates a type error on a later line", () => {
    expect(at('tool == "x"\n  && params.amount > 10\n  && contxt.ip == "1"')).toEqual([3, 6]);
  });

  it.each([
    ["tool", "string"],
    ["1 + 2", "int"],
    ["params.amount * 2.0", "double"],
    ["params.flag", "dyn"],
    ["size(tool)", "int"],
    ["[tool]", "list(string)"],
    ['{"a": 1}', "map(string, int)"],
    ["agent", "map(string, string)"],
    ["url_host(params.url)", "string"],
    ["tool == 'a' ? 1 : 2", "int"],
  ])("a condition of type %s is rejected when its type is known", (condition, type) => {
    const errors = checkCondition(condition);
    if (type === "dyn") {
      expect(errors).toEqual([]);
      return;
    }
    expect(errors[0]?.message).toBe(`a condition must evaluate to bool, but this expression has type '${type}'`);
    expect([errors[0]?.line, errors[0]?.column]).toEqual([1, 1]);
  });

  it("hints at int/double mixing", () => {
    expect(firstError("1.5 + 1 > 2.0").message).toMatch(/int and double do not mix/);
  });

  it.each([
    'agent.slug == "billing-bot" && agent.environment == env',
    'tool == "http_proxy" && operation in ["get", "list"]',
    "params.amount > 1000 && params.currency == 'EUR'",
    "has(params.url) && params.url.startsWith('https://')",
    "params.items.all(i, i.price < 100.0)",
    "params.tags.exists(t, t == 'urgent') || size(params.tags) > 3",
    "context.source_ip != '' && ip_in_cidr(context.source_ip, ['10.0.0.0/8'])",
    "type(params.amount) == double",
    "tool.lowerAscii().startsWith('http')",
    "timestamp(params.at) > timestamp('2024-01-01T00:00:00Z')",
    "'slug' in agent && agent['slug'] == 'billing-bot'",
    ".tool == 'x'",
    "params.x.y.z == true",
    "[1, 2].map(x, x * 2) == [2, 4]",
    "params.n == 1 || params.n == 1u || params.n == 1.0",
  ])("accepts %j", (condition) => {
    expect(checkCondition(condition)).toEqual([]);
  });
});

describe("compileRule", () => {
  it("returns a reusable compiled condition", () => {
    const compiled = compileRule('tool == "x"');
    expect(compiled.source).toBe('tool == "x"');
  });

  it("throws validation_failed with the position in the field message", () => {
    const e = thrown(() => compileRule('tool == "x" &&\n  foo == 1'));
    expect(e.code).toBe("validation_failed");
    expect(e.status).toBe(422);
    expect(e.errors).toEqual([
      { path: "condition", message: expect.stringMatching(/^line 2, column 3: unknown variable 'foo'/) },
    ]);
  });
});

describe("compilePolicy", () => {
  const rules = (conditions: string[]) =>
    policyInputSchema.parse({
      rules: conditions.map((condition, i) => ({ name: `Rule ${i}`, condition, effect: "allow" })),
    }).rules;

  it("compiles every rule, keeping order and index", () => {
    const compiled = compilePolicy(rules(["true", 'tool == "x"']));
    expect(compiled.rules.map((r) => [r.index, r.name, r.compiled.source])).toEqual([
      [0, "Rule 0", "true"],
      [1, "Rule 1", 'tool == "x"'],
    ]);
  });

  it("names the rule, its index and the position of a bad condition", () => {
    const e = thrown(() => compilePolicy(rules(["true", "true", "true", 'tool == "x" && nope'])));
    expect(e.code).toBe("validation_failed");
    expect(e.errors).toEqual([
      {
        path: "rules.3.condition",
        message: "line 1, column 16: unknown variable 'nope'; available: agent, tool, operation, params, context, env",
      },
    ]);
    expect(e.message).toContain('Rule 4 ("Rule 3")');
  });

  it("reports every failing rule at once", () => {
    const e = thrown(() => compilePolicy(rules(["tool", "true", "tool ==", "true"])));
    expect(e.errors?.map((x) => x.path)).toEqual(["rules.0.condition", "rules.2.condition"]);
    expect(e.errors?.[1]?.message).toMatch(/^line 1, column 8: /);
  });

  it("checkPolicyConditions gives structured errors without throwing", () => {
    const errors = checkPolicyConditions([
      { name: "ok", condition: "true" },
      { name: "bad", condition: "tool ==\n" },
    ]);
    expect(errors).toEqual([
      expect.objectContaining({ index: 1, name: "bad", path: "rules.1.condition", line: 1, column: 8, kind: "syntax" }),
    ]);
  });
});

describe("parseAndCompilePolicy", () => {
  it("returns normalised rules and the compiled policy", () => {
    const { rules, compiled } = parseAndCompilePolicy({ rules: [{ name: "a", condition: "true", effect: "deny" }] });
    expect(rules[0]?.risk_level).toBe("high");
    expect(compiled.rules).toHaveLength(1);
  });

  it("reports schema and condition problems together", () => {
    const e = thrown(() =>
      parseAndCompilePolicy({
        rules: [
          { name: "", condition: "true", effect: "allow" },
          { name: "second", condition: "tool +", effect: "allow" },
          { name: "third", condition: "true", effect: "maybe" },
        ],
      }),
    );
    expect(e.code).toBe("validation_failed");
    const paths = e.errors?.map((x) => x.path);
    expect(paths).toEqual(expect.arrayContaining(["rules.0.name", "rules.1.condition", "rules.2.effect"]));
    expect(e.errors?.find((x) => x.path === "rules.1.condition")?.message).toMatch(/^line 1, column 7: /);
  });

  it("rejects a non-object body", () => {
    expect(thrown(() => parseAndCompilePolicy(null)).code).toBe("validation_failed");
    expect(thrown(() => parseAndCompilePolicy({ rules: "x" })).errors?.[0]?.path).toBe("rules");
  });
});

describe("comments", () => {
  it.each([
    "// a\n// b\ntrue",
    "// a\n\n// b\ntrue",
    "true\n// a\n// b",
    'tool == "x" // a\n// b\n&& env == "production"',
    "(\n// a\n// b\ntrue)",
    'tool == "//not a comment" // but this is',
    "// a\r\n// b\r\ntrue",
  ])("are accepted anywhere: %j", (condition) => {
    expect(checkCondition(condition)).toEqual([]);
  });

  it("inside strings stay part of the string", () => {
    expect(value('"a//b" == "a" + "//b" && tool == "//x" // real comment', { tool: "//x" })).toBe(true);
    expect(value('tool == "//x"', { tool: "" })).toBe(false);
  });

  it("do not shift error positions", () => {
    expect(at("// one\n// two\ntool == 1 +")).toEqual([3, 12]);
  });
});
