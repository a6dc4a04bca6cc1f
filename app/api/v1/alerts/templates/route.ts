import { ALERT_TEMPLATES } from "@/lib/alerts/templates";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "alerts:read" }, async () => ({ body: { templates: ALERT_TEMPLATES } }));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
