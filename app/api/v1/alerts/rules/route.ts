import { createRule, listRules } from "@/lib/alerts/rules";
import { jsonBody } from "@/lib/alerts/routes";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "alerts:read" }, async ({ ctx }) => ({ body: { rules: await listRules(ctx) } }));

export const POST = route({ permission: "alerts:write", body: jsonBody }, async ({ ctx, body }) => ({
  status: 201,
  body: await createRule(ctx, body),
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
