import { route } from "@/lib/http/route";
import { decideRoleRequest } from "@/lib/sso/role-requests";
import { roleRequestDecisionSchema, roleRequestParamsSchema } from "@/lib/sso/schemas";
import { otherMethods } from "@/lib/http/methods";

export const POST = route(
  { permission: "members:write", params: roleRequestParamsSchema, body: roleRequestDecisionSchema },
  async ({ ctx, params, body }) => ({ body: await decideRoleRequest(ctx, params.userId, body.decision) }),
);

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
