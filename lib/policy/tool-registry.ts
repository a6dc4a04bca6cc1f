import { z } from "zod";
import { ENVIRONMENTS, type Environment } from "./schemas";

export const TOOL_NAME_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;
export const MAX_TOOLS_PER_LIST = 500;

export type ToolRegistry = {
  allowed: readonly string[];
  denied: readonly string[];
  require_approval: readonly string[];
};

export type ToolRegistryStatus = "allowed" | "denied" | "require_approval" | "unknown";

const LISTS = ["allowed", "denied", "require_approval"] as const;

const toolName = z
  .string()
  .regex(
    TOOL_NAME_PATTERN,
    "Tool names are 1 to 64 characters: a lower-case letter, then lower-case letters, digits, '_', '.' or '-'",
  );

const toolList = z
  .array(toolName)
  .max(MAX_TOOLS_PER_LIST, `A list can hold at most ${MAX_TOOLS_PER_LIST} tools`)
  .default([]);

/**
 * The tools one agent may use in one environment. A tool may appear in one
 * list only: "allowed and denied" has no honest meaning, and the checker would
 * silently pick one.
 */
export const toolRegistrySchema = z
  .strictObject({ allowed: toolList, denied: toolList, require_approval: toolList })
  .superRefine((registry, ctx) => {
    const seen = new Map<string, string>();
    for (const list of LISTS) {
      registry[list].forEach((tool, index) => {
        const first = seen.get(tool);
        if (first === undefined) {
          seen.set(tool, list);
          return;
        }
        ctx.addIssue({
          code: "custom",
          path: [list, index],
          message:
            first === list
              ? `"${tool}" is listed twice in ${list}`
              : `"${tool}" is already listed in ${first}; a tool can be in one list only`,
        });
      });
    }
  });

export type ToolRegistryInput = z.input<typeof toolRegistrySchema>;

/**
 * Where a tool stands in an agent's registry. Checked before the policy:
 * denied wins over every other list (so a registry that somehow holds a tool
 * twice still refuses it), and a tool in no list is "unknown", which the
 * caller refuses like "denied".
 */
export function checkToolRegistry(registry: ToolRegistry, tool: string): ToolRegistryStatus {
  if (registry.denied.includes(tool)) return "denied";
  if (registry.require_approval.includes(tool)) return "require_approval";
  if (registry.allowed.includes(tool)) return "allowed";
  return "unknown";
}

/** An agent's registries, one per environment. */
export type Registries = Record<Environment, ToolRegistry>;

const EMPTY: ToolRegistry = { allowed: [], denied: [], require_approval: [] };

/** Reads the stored JSON defensively: anything malformed counts as an empty (deny-all) registry. */
export function readRegistries(json: unknown): Registries {
  const out: Registries = { development: EMPTY, production: EMPTY };
  if (json && typeof json === "object") {
    for (const env of ENVIRONMENTS) {
      const r = toolRegistrySchema.safeParse((json as Record<string, unknown>)[env] ?? {});
      if (r.success) out[env] = r.data;
    }
  }
  return out;
}
