import { route } from "@/lib/http/route";
import { removeDomain } from "@/lib/sso/domains";
import { domainParamsSchema } from "@/lib/sso/schemas";
import { otherMethods } from "@/lib/http/methods";

export const DELETE = route({ permission: "org:admin", params: domainParamsSchema }, async ({ ctx, params }) => {
  await removeDomain(ctx, params.id);
  return { status: 204 };
});

export const { GET, HEAD, POST, PUT, PATCH, OPTIONS } = otherMethods("DELETE");
