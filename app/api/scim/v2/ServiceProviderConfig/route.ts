import { scimRoute } from "@/lib/http/scim-route";
import { serviceProviderConfig } from "@/lib/sso/scim";

export const GET = scimRoute(async ({ base }) => ({ body: serviceProviderConfig(base) }));
