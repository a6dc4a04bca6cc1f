import { createAgent, listAgents } from "@/lib/agents/agents";
import { createAgentSchema } from "@/lib/agents/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "agents:read" }, async ({ ctx }) => ({
  body: { agents: await listAgents(ctx) },
}));

export const POST = route({ permission: "agents:write", body: createAgentSchema }, async ({ ctx, body }) => ({
  status: 201,
  body: await createAgent(ctx, body),
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
