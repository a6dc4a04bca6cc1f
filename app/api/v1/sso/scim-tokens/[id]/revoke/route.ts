import { z } from "zod";
import { route } from "@/lib/http/route";
import { revokeScimToken } from "@/lib/sso/scim-tokens";

export const POST = route({ permission: "org:admin", params: z.object({ id: z.uuid() }) }, async ({ ctx, params }) => ({
  body: await revokeScimToken(ctx, params.id),
}));
