import { route } from "@/lib/http/route";
import { setConnectionEnabled } from "@/lib/sso/connections";
import { connectionParamsSchema } from "@/lib/sso/schemas";

export const POST = route({ permission: "org:admin", params: connectionParamsSchema }, async ({ ctx, params }) => ({
  body: await setConnectionEnabled(ctx, params.id, false),
}));
