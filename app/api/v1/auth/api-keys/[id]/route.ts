import { revokeApiKey } from "@/lib/keys/revoke-api-key";
import { apiKeyParamsSchema } from "@/lib/keys/schemas";
import { route } from "@/lib/http/route";

/** Revokes the key: its very next request is refused. */
export const DELETE = route({ permission: "keys:write", params: apiKeyParamsSchema }, async ({ ctx, params }) => ({
  body: { key: await revokeApiKey(ctx, params.id) },
}));
