import type { z } from "zod";
import { AppError } from "../errors";
import { parseOr422 } from "../validation";
import { ScimError } from "./scim";

/** A SCIM request body through its schema: unreadable JSON is invalidSyntax, a bad shape invalidValue (400). */
export async function scimBody<S extends z.ZodType>(schema: S, read: () => Promise<unknown>): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await read();
  } catch (e) {
    if (e instanceof AppError && e.code === "bad_request")
      throw new ScimError("bad_request", e.message, "invalidSyntax");
    throw e;
  }
  return parseOr422(schema, raw);
}
