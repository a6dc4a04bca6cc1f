import { route } from "@/lib/http/route";
import { deleteConnection, getConnection, updateConnection } from "@/lib/sso/connections";
import { connectionParamsSchema, updateConnectionSchema } from "@/lib/sso/schemas";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "org:admin", params: connectionParamsSchema }, async ({ ctx, params }) => ({
  body: await getConnection(ctx, params.id),
}));

export const PATCH = route(
  { permission: "org:admin", params: connectionParamsSchema, body: updateConnectionSchema },
  async ({ ctx, params, body }) => ({ body: await updateConnection(ctx, params.id, body) }),
);

export const DELETE = route({ permission: "org:admin", params: connectionParamsSchema }, async ({ ctx, params }) => {
  await deleteConnection(ctx, params.id);
  return { status: 204 };
});

export const { POST, PUT, OPTIONS } = otherMethods("GET", "PATCH", "DELETE");
