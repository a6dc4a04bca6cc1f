import { setChannelEnabled } from "@/lib/alerts/channels";
import { enabledBody, idParams } from "@/lib/alerts/routes";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const PATCH = route(
  { permission: "alerts:write", params: idParams, body: enabledBody },
  async ({ ctx, params, body }) => ({ body: await setChannelEnabled(ctx, params.id, body.enabled) }),
);

export const { GET, HEAD, POST, PUT, DELETE, OPTIONS } = otherMethods("PATCH");
