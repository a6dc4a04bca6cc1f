import { createChannel, listChannels } from "@/lib/alerts/channels";
import { jsonBody } from "@/lib/alerts/routes";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "alerts:read" }, async ({ ctx }) => ({
  body: { channels: await listChannels(ctx) },
}));

export const POST = route({ permission: "alerts:write", body: jsonBody }, async ({ ctx, body }) => ({
  status: 201,
  body: await createChannel(ctx, body),
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
