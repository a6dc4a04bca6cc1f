import { getOrgSettings, updateOrgSettings, updateSettingsSchema } from "@/lib/orgs/settings";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "org:admin" }, async ({ ctx }) => ({ body: await getOrgSettings(ctx) }));

export const PATCH = route({ permission: "org:admin", body: updateSettingsSchema }, async ({ ctx, body }) => ({
  body: await updateOrgSettings(ctx, body),
}));

export const { POST, PUT, DELETE, OPTIONS } = otherMethods("GET", "PATCH");
