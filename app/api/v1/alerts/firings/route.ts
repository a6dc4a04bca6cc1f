import { listFirings } from "@/lib/alerts/history";
import { firingsQuerySchema } from "@/lib/alerts/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "alerts:read", query: firingsQuerySchema }, async ({ ctx, query }) => ({
  body: { firings: await listFirings(ctx, query) },
}));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
