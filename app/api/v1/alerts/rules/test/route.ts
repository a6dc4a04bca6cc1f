import { testRule } from "@/lib/alerts/backtest";
import { jsonBody } from "@/lib/alerts/routes";
import { route } from "@/lib/http/route";

export const POST = route({ permission: "alerts:read", body: jsonBody }, async ({ ctx, body }) => ({
  body: await testRule(ctx, body),
}));
