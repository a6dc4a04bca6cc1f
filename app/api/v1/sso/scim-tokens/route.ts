import { route } from "@/lib/http/route";
import { createScimToken, createScimTokenSchema, listScimTokens } from "@/lib/sso/scim-tokens";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "org:admin" }, async ({ ctx }) => ({
  body: { tokens: await listScimTokens(ctx) },
}));

/** The token is in this answer only; Warden keeps its hash. */
export const POST = route({ permission: "org:admin", body: createScimTokenSchema }, async ({ ctx, body }) => ({
  status: 201,
  body: await createScimToken(ctx, body),
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
