import { route } from "@/lib/http/route";
import { enforcementSchema, getEnforcement, setEnforcement } from "@/lib/sso/enforcement";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "org:admin" }, async ({ ctx }) => ({ body: await getEnforcement(ctx) }));

export const PUT = route({ permission: "org:admin", body: enforcementSchema }, async ({ ctx, body }) => ({
  body: await setEnforcement(ctx, body),
}));

export const { POST, PATCH, DELETE, OPTIONS } = otherMethods("GET", "PUT");
