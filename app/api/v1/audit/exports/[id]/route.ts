import { getExportRequest } from "@/lib/exports/requests";
import { exportParamsSchema } from "@/lib/exports/schemas";
import { route } from "@/lib/http/route";

/** One export request: for its requester, or for approvers. */
export const GET = route({ anyPrincipal: true, params: exportParamsSchema }, async ({ ctx, params }) => ({
  body: await getExportRequest(ctx, params.id),
}));
