import { route } from "@/lib/http/route";
import { publicOrigin } from "@/lib/http/sso-cookies";
import { connectionMetadata } from "@/lib/sso/flow";
import { connectionParams } from "@/lib/sso/schemas";
import { otherMethods } from "@/lib/http/methods";

/** The SAML service provider's metadata (entity id, ACS URL) for the IdP's admin. */
export const GET = route({ public: true, params: connectionParams }, async ({ req, params }) => {
  const xml = await connectionMetadata(params.connectionId, publicOrigin(req));
  return new Response(xml, {
    status: 200,
    headers: { "content-type": "application/samlmetadata+xml; charset=utf-8", "cache-control": "no-store" },
  });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
