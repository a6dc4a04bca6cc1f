import { isAppError } from "@/lib/errors";
import { readFormBody } from "@/lib/http/body";
import { route } from "@/lib/http/route";
import { bindingCookie, publicOrigin, seeOther } from "@/lib/http/sso-cookies";
import { acceptSamlPost, REQUEST_TTL_SECONDS } from "@/lib/sso/flow";
import { SsoError } from "@/lib/sso/profile";
import { connectionParams } from "@/lib/sso/schemas";
import { otherMethods } from "@/lib/http/methods";

/**
 * The SAML Assertion Consumer Service (HTTP-POST binding). The IdP's page posts
 * here cross-site; on success the browser is sent on to a same-site GET that
 * checks its binding cookie before anyone is signed in.
 */
export const POST = route({ public: true, params: connectionParams }, async ({ req, ip, params }) => {
  try {
    const form = await readFormBody(req, 1_000_000);
    const done = await acceptSamlPost({
      connectionId: params.connectionId,
      samlResponse: form.get("SAMLResponse"),
      relayState: form.get("RelayState"),
      origin: publicOrigin(req),
      meta: { ip, userAgent: req.headers.get("user-agent") },
    });
    return seeOther(req, done.redirect, done.binding ? [bindingCookie(done.binding, REQUEST_TTL_SECONDS)] : []);
  } catch (e) {
    if (e instanceof SsoError) return seeOther(req, `/login?sso_error=${e.reason}`);
    if (isAppError(e) && e.status < 500) return seeOther(req, `/login?sso_error=invalid_response`);
    throw e;
  }
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
