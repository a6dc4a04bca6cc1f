import { describe, expect, it } from "vitest";
import { type ToolRegistry, checkToolRegistry, toolRegistrySchema } from "@/lib/policy";

const registry: ToolRegistry = {
  allowed: ["http_proxy", "search"],
  denied: ["shell"],
  require_approval: ["payments"],
};

describe("checkToolRegistry", () => {
  it.each([
    ["http_proxy", "allowed"],
    ["search", "allowed"],
    ["shell", "denied"],
    ["payments", "require_approval"],
    ["email", "unknown"],
    ["HTTP_PROXY", "unknown"],
    ["", "unknown"],
  ])("%j is %s", (tool, status) => {
    expect(checkToolRegistry(registry, tool)).toBe(status);
  });

  it("denied wins over every other list", () => {
    const everywhere: ToolRegistry = { allowed: ["x"], denied: ["x"], require_approval: ["x"] };
    expect(checkToolRegistry(everywhere, "x")).toBe("denied");
    expect(checkToolRegistry({ allowed: ["x"], denied: ["x"], require_approval: [] }, "x")).toBe("denied");
  });

  it("require_approval wins over allowed", () => {
    expect(checkToolRegistry({ allowed: ["x"], denied: [], require_approval: ["x"] }, "x")).toBe("require_approval");
  });

  it("an empty registry knows no tool", () => {
    expect(checkToolRegistry({ allowed: [], denied: [], require_approval: [] }, "search")).toBe("unknown");
  });
});

describe("toolRegistrySchema", () => {
  it("accepts a valid registry and defaults missing lists", () => {
    expect(toolRegistrySchema.parse({ allowed: ["http_proxy", "db.read", "a-b_c.9"] })).toEqual({
      allowed: ["http_proxy", "db.read", "a-b_c.9"],
      denied: [],
      require_approval: [],
    });
  });

  it.each(["", "Http", "9tools", "_x", "has space", "x".repeat(65), "a/b", "é"])("rejects the tool name %j", (name) => {
    const r = toolRegistrySchema.safeParse({ allowed: [name] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["allowed", 0]);
  });

  it("accepts a 64-character name", () => {
    expect(toolRegistrySchema.safeParse({ allowed: [`a${"b".repeat(63)}`] }).success).toBe(true);
  });

  it("rejects a tool listed in two lists", () => {
    const r = toolRegistrySchema.safeParse({ allowed: ["x"], denied: ["x"] });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["denied.0", '"x" is already listed in allowed; a tool can be in one list only'],
    ]);
  });

  it("rejects a tool listed twice in one list", () => {
    const r = toolRegistrySchema.safeParse({ require_approval: ["y", "y"] });
    expect(r.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["require_approval.1", '"y" is listed twice in require_approval'],
    ]);
  });

  it("rejects unknown keys and oversized lists", () => {
    expect(toolRegistrySchema.safeParse({ allowed: [], maybe: [] }).success).toBe(false);
    const many = Array.from({ length: 501 }, (_, i) => `t${i}`);
    expect(toolRegistrySchema.safeParse({ allowed: many }).success).toBe(false);
  });
});
