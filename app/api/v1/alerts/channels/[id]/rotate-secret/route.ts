import { rotateChannelSecret } from "@/lib/alerts/channels";
import { idParams } from "@/lib/alerts/routes";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const POST = route({ permission: "alerts:write", params: idParams }, async ({ ctx, params }) => ({
  body: await rotateChannelSecret(ctx, params.id),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
