import { scimRoute } from "@/lib/http/scim-route";
import { parsePaging } from "@/lib/sso/scim";
import { createScimGroup, groupFilter, listScimGroups, scimGroupSchema } from "@/lib/sso/scim-groups";
import { scimBody } from "@/lib/sso/scim-input";
import { otherMethods } from "@/lib/http/methods";

/** SCIM Groups: list (filter displayName/externalId eq, paging) and create. */
export const GET = scimRoute(async ({ req, ctx, base }) => {
  const params = new URL(req.url).searchParams;
  const filter = groupFilter(params.get("filter"));
  return { body: await listScimGroups(ctx, { filter, ...parsePaging(params) }, base) };
});

export const POST = scimRoute(async ({ ctx, base, body }) => {
  const group = await createScimGroup(ctx, await scimBody(scimGroupSchema, body), base);
  return { status: 201, body: group, headers: { location: group.meta.location, etag: group.meta.version } };
});

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
