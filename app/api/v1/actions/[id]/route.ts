import { getAction } from "@/lib/actions/get-action";
import { actionParamsSchema } from "@/lib/actions/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** The action's current state; `?wait=N` (≤ 30 s) long-polls while it is pending. */
export const GET = route({ permission: "actions:read", params: actionParamsSchema }, async ({ ctx, params, req }) => ({
  body: await getAction(ctx, params.id, Object.fromEntries(new URL(req.url).searchParams)),
}));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
