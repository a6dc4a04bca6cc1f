import { createApiKey } from "@/lib/keys/create-api-key";
import { listApiKeys } from "@/lib/keys/list-api-keys";
import { createApiKeySchema } from "@/lib/keys/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "keys:read" }, async ({ ctx }) => ({ body: { keys: await listApiKeys(ctx) } }));

/** 201 with the full key: the only time it is ever returned. */
export const POST = route({ permission: "keys:write", body: createApiKeySchema }, async ({ ctx, body }) => ({
  status: 201,
  body: await createApiKey(ctx, body),
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
