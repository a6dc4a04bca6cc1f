import { z } from "zod";
import { exportActionProofPack } from "@/lib/exports/proof-pack";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/**
 * The proof pack of one action: a zip that verifies offline with the
 * verify.mjs inside it. A person with a second factor steps up (audit.export).
 */
export const GET = route(
  { permission: "audit:export", params: z.object({ actionId: z.uuid() }), download: true },
  async ({ ctx, params, req }) => {
    const pack = await exportActionProofPack(ctx, params.actionId, stepUpIdOf(req));
    return new Response(Buffer.from(pack.zip), {
      status: 200,
      headers: {
        "content-type": "application/zip",
        "content-disposition": `attachment; filename="${pack.filename}"`,
        "content-length": String(pack.zip.length),
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "x-warden-pack-sha256": pack.sha256,
        "x-warden-checkpoint-id": pack.checkpoint.id,
      },
    });
  },
);

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
