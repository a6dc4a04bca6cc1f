import { z } from "zod";

export const exportParamsSchema = z.object({ id: z.uuid() });

export const decideExportSchema = z.strictObject({
  reason: z.string().trim().min(1, "Give a reason").max(500),
});

export const listExportsQuerySchema = z.object({
  /** mine: the caller's own requests; pending: every request waiting for an approval (approvals:read). */
  which: z.enum(["mine", "pending"]).default("mine"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
