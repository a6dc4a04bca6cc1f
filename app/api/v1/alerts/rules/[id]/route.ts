import { getRule, updateRule } from "@/lib/alerts/rules";
import { idParams, jsonBody } from "@/lib/alerts/routes";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "alerts:read", params: idParams }, async ({ ctx, params }) => ({
  body: await getRule(ctx, params.id),
}));

export const PATCH = route(
  { permission: "alerts:write", params: idParams, body: jsonBody },
  async ({ ctx, params, body }) => ({ body: await updateRule(ctx, params.id, body) }),
);

export const { POST, PUT, DELETE, OPTIONS } = otherMethods("GET", "PATCH");
