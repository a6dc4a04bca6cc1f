import { verifyAuditLog } from "@/lib/audit/verify-audit-log";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/**
 * Recomputes the organization's hash chain from the events, names the first
 * broken event if any, and checks every stored checkpoint (signature, and its
 * root against the root recomputed from the events); reports the latest one.
 */
export const GET = route({ permission: "audit:read" }, async ({ ctx }) => ({ body: await verifyAuditLog(ctx) }));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
