import { route } from "@/lib/http/route";
import { removeDomain } from "@/lib/sso/domains";
import { domainParamsSchema } from "@/lib/sso/schemas";

export const DELETE = route({ permission: "org:admin", params: domainParamsSchema }, async ({ ctx, params }) => {
  await removeDomain(ctx, params.id);
  return { status: 204 };
});
