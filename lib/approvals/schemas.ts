import { z } from "zod";

export const decideApprovalSchema = z.strictObject({
  reason: z.string().trim().min(1, "Give a reason").max(1000),
  /** The payload hash the approver reviewed; refused if the action is not that payload. */
  payload_hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

export const approvalParamsSchema = z.object({ id: z.uuid() });

export const APPROVAL_STATUSES = ["pending", "approved", "rejected", "expired", "cancelled"] as const;

export const listApprovalsQuerySchema = z.object({
  status: z.enum([...APPROVAL_STATUSES, "all"]).default("pending"),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});
