import { addMember } from "@/lib/members/add-member";
import { listMembers } from "@/lib/members/list-members";
import { addMemberSchema } from "@/lib/members/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "members:read" }, async ({ ctx }) => ({
  body: { members: await listMembers(ctx) },
}));

export const POST = route({ permission: "members:write", body: addMemberSchema }, async ({ ctx, body }) => ({
  status: 201,
  body: await addMember(ctx, body),
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
