import { getPolicyVersion } from "@/lib/policy/versions";
import { route } from "@/lib/rbac/route";

export const GET = route({ permission: "policies:read" }, async ({ ctx }) => ({
  body: await getPolicyVersion(ctx, "active"),
}));
