import { decideExport } from "@/lib/exports/requests";
import { decideExportSchema, exportParamsSchema } from "@/lib/exports/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const POST = route(
  { permission: "approvals:decide", params: exportParamsSchema, body: decideExportSchema },
  async ({ ctx, params, body }) => ({ body: await decideExport(ctx, params.id, "approved", body) }),
);

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
