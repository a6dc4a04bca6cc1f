import { rotateApiKey } from "@/lib/keys/rotate-api-key";
import { apiKeyParamsSchema, rotateApiKeySchema } from "@/lib/keys/schemas";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const POST = route(
  { permission: "keys:write", params: apiKeyParamsSchema, body: rotateApiKeySchema },
  async ({ ctx, params, body, req }) => ({
    status: 201,
    body: await rotateApiKey(ctx, params.id, body, stepUpIdOf(req)),
  }),
);

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
