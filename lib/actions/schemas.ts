import { z } from "zod";
import { TOOL_NAME_PATTERN } from "../policy";
import { AppError } from "../errors";

/** The submission body limit: large enough for real tool calls, small enough to bound policy evaluation. */
export const MAX_ACTION_BODY_BYTES = 64 * 1024;
export const MAX_ACTION_DEPTH = 32;
export const MAX_WAIT_SECONDS = 30;

const jsonObject = z.record(z.string(), z.unknown());

export const submitActionSchema = z.strictObject({
  tool: z.string().regex(TOOL_NAME_PATTERN, "A tool name is a lower-case letter then up to 63 of [a-z0-9_.-]"),
  operation: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_.:/-]+$/, "An operation is 1-128 of letters, digits and _ . : / -"),
  params: jsonObject.default({}),
  context: jsonObject.default({}),
});

export type SubmitActionInput = z.output<typeof submitActionSchema>;

/** Refuses structures nested deeper than the limit (before anything walks them recursively). */
export function assertDepth(value: unknown, max = MAX_ACTION_DEPTH): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > max) {
      throw new AppError("validation_failed", `The body is nested more than ${max} levels deep`, {
        errors: [{ path: "(root)", message: `nesting deeper than ${max}` }],
      });
    }
    if (v && typeof v === "object") for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
}

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export const actionParamsSchema = z.object({ id: z.uuid() });

export const getActionQuerySchema = z.object({
  wait: z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS).default(0),
});

export const ACTION_STATUSES = [
  "allowed",
  "denied",
  "pending",
  "approved",
  "rejected",
  "expired",
  "cancelled",
  "executing",
  "executed",
  "failed",
] as const;

export const listActionsQuerySchema = z.object({
  status: z.enum(ACTION_STATUSES).optional(),
  agent: z.string().max(50).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.iso.datetime({ offset: true }).optional(),
  /** Keyset cursor: the id of the last action of the previous page (its `next_cursor`). */
  cursor: z.uuid().optional(),
});
