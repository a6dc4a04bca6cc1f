import { route } from "@/lib/http/route";
import { verifyDomain } from "@/lib/sso/domains";
import { domainParamsSchema } from "@/lib/sso/schemas";
import { otherMethods } from "@/lib/http/methods";

/** Looks the TXT record up now; the answer says verified, failed (with what was missing) or still pending. */
export const POST = route({ permission: "org:admin", params: domainParamsSchema }, async ({ ctx, params }) => ({
  body: await verifyDomain(ctx, params.id),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
