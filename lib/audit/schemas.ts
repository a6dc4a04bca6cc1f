import { z } from "zod";
import { isoDateTime } from "../validation";

/** An optional query parameter; an empty value (a blank form field) counts as absent. */
function optional<S extends z.ZodType>(schema: S) {
  return z.preprocess((v) => (v === "" ? undefined : v), schema.optional());
}

const limit = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt);

/** A tree size or a checkpoint id, as given in a query string. */
const sizeOrCheckpoint = z.union([
  z.uuid().transform((id) => ({ checkpointId: id }) as const),
  z
    .string()
    .regex(/^\d{1,15}$/, "must be a tree size (a non-negative integer) or a checkpoint id")
    .transform((s) => ({ size: Number(s) }) as const),
]);

export const consistencyQuerySchema = z.object({
  from: sizeOrCheckpoint,
  to: sizeOrCheckpoint.optional(),
});
export type ConsistencyQuery = z.output<typeof consistencyQuerySchema>;

export const listCheckpointsQuerySchema = z.object({
  limit: limit(200, 20),
  cursor: z.string().max(200).optional(),
});

const eventName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9_.]+(\.\*)?$/, "an event name (e.g. member.added) or a prefix (member.*)");

/**
 * A time range [from, to): both optional, `from` before `to`. Malformed or
 * inverted ranges are refused (422) rather than silently read as "everything".
 */
const range = { from: optional(isoDateTime()), to: optional(isoDateTime()) };
const rangeInOrder = (q: { from?: Date; to?: Date }) => !q.from || !q.to || q.from.getTime() < q.to.getTime();
const rangeMessage = { message: "from must be before to", path: ["to"] };

export const listEventsQuerySchema = z
  .object({
    ...range,
    actor: optional(z.string().trim().min(1).max(200)),
    actor_type: optional(z.enum(["user", "api_key", "system"])),
    action: optional(eventName),
    target_type: optional(z.string().trim().min(1).max(100)),
    target_id: optional(z.string().trim().min(1).max(200)),
    /** Events written by one HTTP request (the request_id of its problem+json or X-Request-Id). */
    request_id: optional(
      z
        .string()
        .trim()
        .regex(/^[0-9A-Za-z:._-]{1,100}$/, "must be a request id"),
    ),
    /** Events with a seq below this one (the `next_cursor` of the previous page). */
    cursor: optional(z.string().regex(/^\d{1,15}$/, "must be the next_cursor of a previous page")),
    limit: limit(200, 50),
  })
  .refine(rangeInOrder, rangeMessage);
export type ListEventsQuery = z.output<typeof listEventsQuerySchema>;

export const eventParamsSchema = z.object({
  seq: z
    .string()
    .regex(/^[1-9]\d{0,14}$/)
    .transform(Number),
});

export const exportQuerySchema = z
  .object({ ...range, format: z.enum(["jsonl", "csv"]) })
  .refine(rangeInOrder, rangeMessage);
export type ExportQuery = z.output<typeof exportQuerySchema>;
