import { getAgent, updateAgent } from "@/lib/agents/agents";
import { agentParamsSchema, updateAgentSchema } from "@/lib/agents/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "agents:read", params: agentParamsSchema }, async ({ ctx, params }) => ({
  body: await getAgent(ctx, params.slug),
}));

export const PATCH = route(
  { permission: "agents:write", params: agentParamsSchema, body: updateAgentSchema },
  async ({ ctx, params, body }) => ({ body: await updateAgent(ctx, params.slug, body) }),
);

export const { POST, PUT, DELETE, OPTIONS } = otherMethods("GET", "PATCH");
