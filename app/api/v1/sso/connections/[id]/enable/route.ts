import { route } from "@/lib/http/route";
import { setConnectionEnabled } from "@/lib/sso/connections";
import { connectionParamsSchema } from "@/lib/sso/schemas";
import { otherMethods } from "@/lib/http/methods";

export const POST = route({ permission: "org:admin", params: connectionParamsSchema }, async ({ ctx, params }) => ({
  body: await setConnectionEnabled(ctx, params.id, true),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
