import { exportQuerySchema } from "@/lib/audit/schemas";
import { listExportRequests, requestExport } from "@/lib/exports/requests";
import { listExportsQuerySchema } from "@/lib/exports/schemas";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/**
 * Requests an export: `ready` to download at once, or `pending_approval` when
 * an alert rule holds it. A person with a second factor steps up (audit.export).
 */
export const POST = route({ permission: "audit:export", body: exportQuerySchema }, async ({ ctx, body, req }) => ({
  status: 201,
  body: await requestExport(ctx, body, stepUpIdOf(req)),
}));

/** The caller's own export requests, or (which=pending, approvals:read) every one waiting for an approval. */
export const GET = route({ anyPrincipal: true, query: listExportsQuerySchema }, async ({ ctx, query }) => ({
  body: { exports: await listExportRequests(ctx, query.which, query.limit) },
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
