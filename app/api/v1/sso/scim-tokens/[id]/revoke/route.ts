import { z } from "zod";
import { route } from "@/lib/http/route";
import { revokeScimToken } from "@/lib/sso/scim-tokens";
import { otherMethods } from "@/lib/http/methods";

export const POST = route({ permission: "org:admin", params: z.object({ id: z.uuid() }) }, async ({ ctx, params }) => ({
  body: await revokeScimToken(ctx, params.id),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
