import { executeAction } from "@/lib/actions/execute-action";
import { actionParamsSchema } from "@/lib/actions/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Warden runs an allowed or approved action on a managed connector (http_proxy). */
export const POST = route({ permission: "actions:submit", params: actionParamsSchema }, async ({ ctx, params }) => ({
  body: await executeAction(ctx, params.id),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
