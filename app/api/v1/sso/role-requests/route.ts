import { route } from "@/lib/http/route";
import { listRoleRequests } from "@/lib/sso/role-requests";

export const GET = route({ permission: "members:write" }, async ({ ctx }) => ({
  body: { requests: await listRoleRequests(ctx) },
}));
