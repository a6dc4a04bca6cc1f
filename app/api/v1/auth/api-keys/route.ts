import { createApiKey } from "@/lib/keys/create-api-key";
import { listApiKeys } from "@/lib/keys/list-api-keys";
import { createApiKeySchema } from "@/lib/keys/schemas";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "keys:read" }, async ({ ctx }) => ({ body: { keys: await listApiKeys(ctx) } }));

/** 201 with the full key: the only time it is ever returned. A person with a second factor steps up (keys.create). */
export const POST = route({ permission: "keys:write", body: createApiKeySchema }, async ({ ctx, body, req }) => ({
  status: 201,
  body: await createApiKey(ctx, body, stepUpIdOf(req)),
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
