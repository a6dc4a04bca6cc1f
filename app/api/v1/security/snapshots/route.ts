import { listSnapshots, listSnapshotsQuerySchema, recordSnapshot } from "@/lib/posture/snapshots";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** The score's history, newest first. */
export const GET = route({ permission: "security:read", query: listSnapshotsQuerySchema }, async ({ ctx, query }) => ({
  body: { snapshots: await listSnapshots(ctx, query) },
}));

/** Records the posture now into the history (admins; audited). */
export const POST = route({ permission: "org:admin" }, async ({ ctx }) => {
  const { report: _report, ...snapshot } = await recordSnapshot(ctx, "manual");
  return { status: 201, body: snapshot };
});

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
