import { getExportRequest } from "@/lib/exports/requests";
import { exportParamsSchema } from "@/lib/exports/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** One export request: for its requester, or for approvers. */
export const GET = route({ anyPrincipal: true, params: exportParamsSchema }, async ({ ctx, params }) => ({
  body: await getExportRequest(ctx, params.id),
}));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
