import { listDeliveries } from "@/lib/alerts/channels";
import { route } from "@/lib/http/route";

export const GET = route({ permission: "alerts:read" }, async ({ ctx }) => ({
  body: { deliveries: await listDeliveries(ctx) },
}));
