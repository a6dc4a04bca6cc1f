import { exportQuerySchema } from "@/lib/audit/schemas";
import { exportAuditEvents } from "@/lib/exports/requests";
import { route, stepUpIdOf } from "@/lib/http/route";
import { downloadResponse } from "@/lib/http/download";
import { otherMethods } from "@/lib/http/methods";

/**
 * A time range of the audit trail as JSONL or CSV, streamed; the export is
 * itself audited with its size. An export an alert rule holds for approval
 * (e.g. larger than 1 GB) answers 202 with the request to follow instead.
 * A person with a second factor steps up (audit.export; `?step_up=` on a link).
 */
export const GET = route(
  { permission: "audit:export", query: exportQuerySchema, download: true },
  async ({ ctx, query, req }) => {
    const out = await exportAuditEvents(ctx, query, stepUpIdOf(req));
    if ("pending" in out) {
      return { status: 202, body: out.pending, headers: { location: `/api/v1/audit/exports/${out.pending.id}` } };
    }
    return downloadResponse(out.stream);
  },
);

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
