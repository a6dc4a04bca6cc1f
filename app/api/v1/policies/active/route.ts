import { getPolicyVersion } from "@/lib/policy/versions";
import { route } from "@/lib/http/route";

export const GET = route({ permission: "policies:read" }, async ({ ctx }) => ({
  body: await getPolicyVersion(ctx, "active"),
}));
