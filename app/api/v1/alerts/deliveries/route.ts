import { listDeliveries } from "@/lib/alerts/channels";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "alerts:read" }, async ({ ctx }) => ({
  body: { deliveries: await listDeliveries(ctx) },
}));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
