import { scimRoute } from "@/lib/http/scim-route";
import {
  deleteScimGroup,
  getScimGroup,
  patchScimGroup,
  replaceScimGroup,
  scimGroupPatchSchema,
  scimGroupSchema,
} from "@/lib/sso/scim-groups";
import { scimBody } from "@/lib/sso/scim-input";
import { otherMethods } from "@/lib/http/methods";

/** One SCIM group: read, replace (PUT), patch (members add/remove/replace, displayName), delete. */
export const GET = scimRoute(async ({ ctx, base, params }) => {
  const group = await getScimGroup(ctx, params.id ?? "", base);
  return { body: group, headers: { etag: group.meta.version } };
});

export const PUT = scimRoute(async ({ ctx, base, params, body }) => {
  const group = await replaceScimGroup(ctx, params.id ?? "", await scimBody(scimGroupSchema, body), base);
  return { body: group, headers: { etag: group.meta.version } };
});

export const PATCH = scimRoute(async ({ ctx, base, params, body }) => {
  const patch = await scimBody(scimGroupPatchSchema, body);
  const group = await patchScimGroup(ctx, params.id ?? "", patch.Operations, base);
  return { body: group, headers: { etag: group.meta.version } };
});

export const DELETE = scimRoute(async ({ ctx, params }) => {
  await deleteScimGroup(ctx, params.id ?? "");
  return { status: 204 };
});

export const { POST, OPTIONS } = otherMethods("GET", "PUT", "PATCH", "DELETE");
