import { route } from "@/lib/http/route";
import { addDomain, listDomains } from "@/lib/sso/domains";
import { addDomainSchema } from "@/lib/sso/schemas";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "org:admin" }, async ({ ctx }) => ({
  body: { domains: await listDomains(ctx) },
}));

export const POST = route({ permission: "org:admin", body: addDomainSchema }, async ({ ctx, body }) => ({
  status: 201,
  body: await addDomain(ctx, body),
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
