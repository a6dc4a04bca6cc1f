import { scimRoute } from "@/lib/http/scim-route";
import { parsePaging, parseScimFilter } from "@/lib/sso/scim";
import { scimBody } from "@/lib/sso/scim-input";
import { createScimUser, listScimUsers, scimUserSchema } from "@/lib/sso/scim-users";
import { otherMethods } from "@/lib/http/methods";

/** SCIM Users: list (filter userName/externalId eq, paging) and create. */
export const GET = scimRoute(async ({ req, ctx, base }) => {
  const params = new URL(req.url).searchParams;
  const filter = parseScimFilter(params.get("filter"));
  return { body: await listScimUsers(ctx, { filter, ...parsePaging(params) }, base) };
});

export const POST = scimRoute(async ({ ctx, base, body }) => {
  const user = await createScimUser(ctx, await scimBody(scimUserSchema, body), base);
  return { status: 201, body: user, headers: { location: user.meta.location, etag: user.meta.version } };
});

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
