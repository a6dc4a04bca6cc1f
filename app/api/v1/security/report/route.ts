import { recordSnapshot, reportBytes } from "@/lib/posture/snapshots";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/**
 * The posture report as a JSON file for a review. Every export is stored as a
 * snapshot and audited with the SHA-256 of the file's bytes (canonical JSON),
 * so an attached report can be matched to the history and the audit trail.
 */
export const GET = route({ permission: "security:read", download: true }, async ({ ctx }) => {
  const snapshot = await recordSnapshot(ctx, "export");
  const day = snapshot.created_at.slice(0, 10);
  return new Response(reportBytes(snapshot.report), {
    status: 200,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="warden-security-${ctx.org.slug}-${day}.json"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "x-warden-snapshot-id": snapshot.id,
      "x-warden-report-sha256": snapshot.sha256,
    },
  });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
