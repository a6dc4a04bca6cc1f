import { scimRoute } from "@/lib/http/scim-route";
import { serviceProviderConfig } from "@/lib/sso/scim";
import { otherMethods } from "@/lib/http/methods";

export const GET = scimRoute(async ({ base }) => ({ body: serviceProviderConfig(base) }));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
