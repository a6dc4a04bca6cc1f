import { changeMemberRole } from "@/lib/members/change-member-role";
import { removeMember } from "@/lib/members/remove-member";
import { changeRoleSchema, memberParamsSchema } from "@/lib/members/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const PATCH = route(
  { permission: "members:write", params: memberParamsSchema, body: changeRoleSchema },
  async ({ ctx, params, body }) => ({ body: await changeMemberRole(ctx, params.userId, body) }),
);

export const DELETE = route({ permission: "members:write", params: memberParamsSchema }, async ({ ctx, params }) => {
  await removeMember(ctx, params.userId);
  return { status: 204 };
});

export const { GET, HEAD, POST, PUT, OPTIONS } = otherMethods("PATCH", "DELETE");
