import { getPolicyVersion } from "@/lib/policy/versions";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "policies:read" }, async ({ ctx }) => ({
  body: await getPolicyVersion(ctx, "active"),
}));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
