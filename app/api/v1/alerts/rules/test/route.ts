import { testRule } from "@/lib/alerts/backtest";
import { jsonBody } from "@/lib/alerts/routes";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const POST = route({ permission: "alerts:read", body: jsonBody }, async ({ ctx, body }) => ({
  body: await testRule(ctx, body),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
