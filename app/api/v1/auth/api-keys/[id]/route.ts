import { revokeApiKey } from "@/lib/keys/revoke-api-key";
import { apiKeyParamsSchema } from "@/lib/keys/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Revokes the key: its very next request is refused. */
export const DELETE = route({ permission: "keys:write", params: apiKeyParamsSchema }, async ({ ctx, params }) => ({
  body: { key: await revokeApiKey(ctx, params.id) },
}));

export const { GET, HEAD, POST, PUT, PATCH, OPTIONS } = otherMethods("DELETE");
