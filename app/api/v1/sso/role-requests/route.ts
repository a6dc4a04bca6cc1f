import { route } from "@/lib/http/route";
import { listRoleRequests } from "@/lib/sso/role-requests";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "members:write" }, async ({ ctx }) => ({
  body: { requests: await listRoleRequests(ctx) },
}));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
