import { replayPolicy, replaySchema } from "@/lib/policy/replay";
import { policyVersionParamsSchema } from "@/lib/policy/versions";
import { route } from "@/lib/http/route";

export const POST = route(
  { permission: "policies:write", params: policyVersionParamsSchema, body: replaySchema },
  async ({ ctx, params, body }) => ({ body: await replayPolicy(ctx, params.version, body) }),
);
