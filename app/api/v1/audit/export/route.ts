import { exportAuditEvents } from "@/lib/audit/export-events";
import { exportQuerySchema } from "@/lib/audit/schemas";
import { route } from "@/lib/http/route";

/** A time range of the audit trail as JSONL or CSV, streamed; the export is itself audited with its size. */
export const GET = route(
  { permission: "audit:export", query: exportQuerySchema, download: true },
  async ({ ctx, query }) => {
    const out = await exportAuditEvents(ctx, query);
    return new Response(out.body, {
      status: 200,
      headers: {
        "content-type": out.contentType,
        "content-disposition": `attachment; filename="${out.filename}"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  },
);
