import { ALERT_TEMPLATES } from "@/lib/alerts/templates";
import { route } from "@/lib/http/route";

export const GET = route({ permission: "alerts:read" }, async () => ({ body: { templates: ALERT_TEMPLATES } }));
