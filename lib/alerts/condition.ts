import type { CelInput } from "@bufbuild/cel";
import { AppError } from "../errors";
import {
  compileConditionWith,
  formatConditionError,
  type CompiledCondition,
  type ConditionVariables,
} from "../policy/cel/compile";

/**
 * Alert conditions are CEL over one audit event, compiled and run by the same
 * engine (and under the same limits) as policy conditions; only the variables
 * differ.
 */
const STRING = { k: "prim", name: "string" } as const;
const INT = { k: "prim", name: "int" } as const;
const DYN = { k: "dyn" } as const;
const STRING_MAP = { k: "map", key: STRING, value: DYN } as const;

export const ALERT_VARIABLES: ConditionVariables = {
  action: STRING,
  actor: STRING_MAP,
  target: STRING_MAP,
  ip: DYN,
  data: STRING_MAP,
  occurred_at: STRING,
  seq: INT,
};

/** An audit event as rules see it. */
export type AlertEvent = {
  seq: number;
  hash: string;
  occurred_at: string;
  actor: { type: string; id: string | null };
  action: string;
  target: { type: string | null; id: string | null };
  ip: string | null;
  data: Record<string, unknown>;
};

function toCel(value: unknown, depth = 0): CelInput {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return value;
  if (depth > 32) return null;
  if (Array.isArray(value)) return value.map((v) => toCel(v, depth + 1));
  if (typeof value === "object") {
    const m = new Map<string, CelInput>();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) m.set(k, toCel(v, depth + 1));
    return m;
  }
  return null;
}

export function eventBindings(e: AlertEvent): Readonly<Record<string, CelInput>> {
  return {
    action: e.action,
    actor: new Map<string, CelInput>([
      ["type", e.actor.type],
      ["id", e.actor.id],
    ]),
    target: new Map<string, CelInput>([
      ["type", e.target.type],
      ["id", e.target.id],
    ]),
    ip: e.ip,
    data: toCel(e.data),
    occurred_at: e.occurred_at,
    seq: BigInt(e.seq),
  };
}

/** The event fields whose shape callers control (sized by the body limit in the static cost estimate). */
const ALERT_INPUTS: ReadonlySet<string> = new Set(["data"]);

/**
 * Compiles an alert condition; throws 422 with `path` naming the field.
 * `enforceCost` refuses a condition above the static cost ceiling: true when
 * saving or testing, false for a stored rule (it still runs under the runtime budget).
 */
export function compileAlertCondition(src: string, path: string, enforceCost = true): CompiledCondition {
  const result = compileConditionWith(src, ALERT_VARIABLES, { enforceCost, inputs: ALERT_INPUTS });
  if ("compiled" in result) return result.compiled;
  const first = result.errors[0]!;
  throw new AppError("validation_failed", `The condition is invalid: ${formatConditionError(first)}`, {
    errors: [{ path, message: formatConditionError(first) }],
  });
}
