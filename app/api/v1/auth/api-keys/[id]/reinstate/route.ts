import { idParams } from "@/lib/alerts/routes";
import { reinstateApiKey } from "@/lib/keys/reinstate-api-key";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Lifts an alert response's suspension (and throttle) from a key. */
export const POST = route({ permission: "keys:write", params: idParams }, async ({ ctx, params }) => ({
  body: await reinstateApiKey(ctx, params.id),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
