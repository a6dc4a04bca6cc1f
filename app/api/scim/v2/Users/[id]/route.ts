import { scimRoute } from "@/lib/http/scim-route";
import { scimBody } from "@/lib/sso/scim-input";
import {
  deleteScimUser,
  getScimUser,
  patchScimUser,
  replaceScimUser,
  scimPatchSchema,
  scimUserSchema,
} from "@/lib/sso/scim-users";
import { otherMethods } from "@/lib/http/methods";

/** One SCIM user: read, replace (PUT), patch, delete. active=false deactivates. */
export const GET = scimRoute(async ({ ctx, base, params }) => {
  const user = await getScimUser(ctx, params.id ?? "", base);
  return { body: user, headers: { etag: user.meta.version } };
});

export const PUT = scimRoute(async ({ ctx, base, params, body }) => {
  const user = await replaceScimUser(ctx, params.id ?? "", await scimBody(scimUserSchema, body), base);
  return { body: user, headers: { etag: user.meta.version } };
});

export const PATCH = scimRoute(async ({ ctx, base, params, body }) => {
  const patch = await scimBody(scimPatchSchema, body);
  const user = await patchScimUser(ctx, params.id ?? "", patch.Operations, base);
  return { body: user, headers: { etag: user.meta.version } };
});

export const DELETE = scimRoute(async ({ ctx, params }) => {
  await deleteScimUser(ctx, params.id ?? "");
  return { status: 204 };
});

export const { POST, OPTIONS } = otherMethods("GET", "PUT", "PATCH", "DELETE");
