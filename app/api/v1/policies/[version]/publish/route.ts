import { policyVersionParamsSchema, publishPolicyVersion } from "@/lib/policy/versions";
import { route } from "@/lib/http/route";

export const POST = route(
  { permission: "policies:write", params: policyVersionParamsSchema },
  async ({ ctx, params }) => ({
    body: await publishPolicyVersion(ctx, params.version),
  }),
);
