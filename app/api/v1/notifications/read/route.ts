import { readBody } from "@/lib/alerts/routes";
import { markRead } from "@/lib/notifications/inbox";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const POST = route({ permission: "dashboard:read", body: readBody }, async ({ ctx, body }) => ({
  body: await markRead(ctx, body.id ?? null),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
