import { readBody } from "@/lib/alerts/routes";
import { markRead } from "@/lib/notifications/inbox";
import { route } from "@/lib/http/route";

export const POST = route({ permission: "dashboard:read", body: readBody }, async ({ ctx, body }) => ({
  body: await markRead(ctx, body.id ?? null),
}));
