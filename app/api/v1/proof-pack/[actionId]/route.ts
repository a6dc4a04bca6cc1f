import { z } from "zod";
import { exportProofPack } from "@/lib/proof-pack/export-proof-pack";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** The proof pack of one action: a zip that verifies offline with the verify.mjs inside it. */
export const GET = route(
  { permission: "audit:export", params: z.object({ actionId: z.uuid() }), download: true },
  async ({ ctx, params }) => {
    const pack = await exportProofPack(ctx, params.actionId);
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
