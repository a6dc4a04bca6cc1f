import type { z } from "zod";
import { AppError, type FieldError } from "../errors";

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
