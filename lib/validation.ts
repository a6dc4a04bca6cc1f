import { z } from "zod";
import { AppError, type FieldError } from "./errors";

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.slice(0, 50).map((i) => ({
    path: i.path.map(String).join(".") || "(root)",
    message: i.message,
  }));
}

export function parseOr422<S extends z.ZodType>(schema: S, value: unknown, what = "request body"): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError("validation_failed", `The ${what} is invalid`, { errors: fieldErrors(r.error) });
  return r.data;
}

/**
 * An ISO 8601 date-time with offset, parsed to a Date. Also accepts a Date, so
 * a schema stays idempotent when the route and the domain function both parse.
 */
export function isoDateTime() {
  return z.union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))]);
}
