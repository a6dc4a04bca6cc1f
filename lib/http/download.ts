import type { AuditExport } from "../audit/export-events";

/** A streamed file download: attachment, never cached, never sniffed. */
export function downloadResponse(out: AuditExport): Response {
  return new Response(out.body, {
    status: 200,
    headers: {
      "content-type": out.contentType,
      "content-disposition": `attachment; filename="${out.filename}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
