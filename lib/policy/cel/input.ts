import type { CelInput } from "@bufbuild/cel";
import type { EvaluationInput } from "../schemas";

/** Bindings for one evaluation: built once per action, shared by every rule. */
export type ConditionBindings = Readonly<Record<string, CelInput>>;

const MAX_INPUT_DEPTH = 64;

export class InputTooDeepError extends Error {
  constructor() {
    super(`the action input is nested more than ${MAX_INPUT_DEPTH} levels deep`);
  }
}

/**
 * Converts JSON-like action input to CEL values. Objects become Maps holding
 * only their own enumerable keys: @bufbuild/cel would otherwise look at an
 * object's `constructor`, which agent-supplied JSON can set to anything.
 * undefined, functions and symbols are dropped the way JSON.stringify drops
 * them, so a condition sees exactly what would be stored.
 */
function toCel(value: unknown, depth: number): CelInput | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "number":
    case "bigint":
      return value;
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    default:
      break;
  }
  if (value === null) return null;
  if (depth > MAX_INPUT_DEPTH) throw new InputTooDeepError();
  if (value instanceof Uint8Array) return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map((v) => toCel(v, depth + 1) ?? null);
  const map = new Map<string, CelInput>();
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as object);
  for (const [k, v] of entries) {
    const converted = toCel(v, depth + 1);
    if (converted !== undefined) map.set(String(k), converted);
  }
  return map;
}

export function toBindings(input: EvaluationInput): ConditionBindings {
  return {
    agent: new Map<string, CelInput>([
      ["slug", input.agent.slug],
      ["name", input.agent.name],
      ["environment", input.agent.environment],
    ]),
    tool: input.tool,
    operation: input.operation,
    params: toCel(input.params ?? {}, 0) ?? new Map(),
    context: toCel(input.context ?? {}, 0) ?? new Map(),
    env: input.env,
  };
}
