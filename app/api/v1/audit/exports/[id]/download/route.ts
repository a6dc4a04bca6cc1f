import { startExport } from "@/lib/exports/requests";
import { exportParamsSchema } from "@/lib/exports/schemas";
import { downloadResponse } from "@/lib/http/download";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Streams a ready or approved export, once, to its requester. */
export const GET = route(
  { permission: "audit:export", params: exportParamsSchema, download: true },
  async ({ ctx, params }) => downloadResponse(await startExport(ctx, params.id)),
);

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
