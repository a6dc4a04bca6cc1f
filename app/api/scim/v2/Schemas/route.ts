import { scimRoute } from "@/lib/http/scim-route";
import { SCHEMA, schemas } from "@/lib/sso/scim";
import { otherMethods } from "@/lib/http/methods";

export const GET = scimRoute(async ({ base }) => {
  const all = schemas(base);
  return {
    body: { schemas: [SCHEMA.list], totalResults: all.length, itemsPerPage: all.length, startIndex: 1, Resources: all },
  };
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
