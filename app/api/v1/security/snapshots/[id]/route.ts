import { getSnapshot, snapshotParamsSchema } from "@/lib/posture/snapshots";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** One stored snapshot with its full report and the SHA-256 of its canonical JSON. */
export const GET = route({ permission: "security:read", params: snapshotParamsSchema }, async ({ ctx, params }) => ({
  body: await getSnapshot(ctx, params.id),
}));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
