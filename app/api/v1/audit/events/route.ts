import { listAuditEvents } from "@/lib/audit/list-events";
import { listEventsQuerySchema } from "@/lib/audit/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** The audit trail, newest first: filters (actor, event type, target, time range) and cursor pagination. */
export const GET = route({ permission: "audit:read", query: listEventsQuerySchema }, async ({ ctx, query }) => ({
  body: await listAuditEvents(ctx, query),
}));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
