import { getPolicyVersion, policyVersionParamsSchema } from "@/lib/policy/versions";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route(
  { permission: "policies:read", params: policyVersionParamsSchema },
  async ({ ctx, params }) => ({
    body: await getPolicyVersion(ctx, params.version),
  }),
);

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
