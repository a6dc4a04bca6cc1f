import { policyVersionParamsSchema, publishPolicyVersion } from "@/lib/policy/versions";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const POST = route(
  { permission: "policies:write", params: policyVersionParamsSchema },
  async ({ ctx, params }) => ({
    body: await publishPolicyVersion(ctx, params.version),
  }),
);

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
