import { replayPolicy, replaySchema } from "@/lib/policy/replay";
import { policyVersionParamsSchema } from "@/lib/policy/versions";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const POST = route(
  { permission: "policies:write", params: policyVersionParamsSchema, body: replaySchema },
  async ({ ctx, params, body }) => ({ body: await replayPolicy(ctx, params.version, body) }),
);

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
