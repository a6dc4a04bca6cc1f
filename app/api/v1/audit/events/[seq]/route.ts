import { getAuditEvent } from "@/lib/audit/get-event";
import { eventParamsSchema } from "@/lib/audit/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** One event: its canonical JSON, the recomputed hash, its link and an inclusion proof against the newest covering checkpoint. */
export const GET = route({ permission: "audit:read", params: eventParamsSchema }, async ({ ctx, params }) => ({
  body: await getAuditEvent(ctx, params.seq),
}));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
