import { getPolicyVersion, policyVersionParamsSchema } from "@/lib/policy/versions";
import { route } from "@/lib/http/route";

export const GET = route(
  { permission: "policies:read", params: policyVersionParamsSchema },
  async ({ ctx, params }) => ({
    body: await getPolicyVersion(ctx, params.version),
  }),
);
