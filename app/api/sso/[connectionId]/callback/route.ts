import { route } from "@/lib/http/route";
import { bindingFrom, clearBindingCookie, seeOther, sessionCookie } from "@/lib/http/sso-cookies";
import { finishOidc, SsoTestFailed } from "@/lib/sso/flow";
import { SsoError } from "@/lib/sso/profile";
import { connectionParams } from "@/lib/sso/schemas";
import { otherMethods } from "@/lib/http/methods";

/** The OIDC redirect URI: the IdP sends the browser back here with a code and our state. */
export const GET = route({ public: true, params: connectionParams }, async ({ req, ip, params }) => {
  try {
    const finished = await finishOidc({
      connectionId: params.connectionId,
      callbackUrl: new URL(req.url),
      binding: bindingFrom(req),
      meta: { ip, userAgent: req.headers.get("user-agent") },
    });
    if (finished.kind === "test") return seeOther(req, finished.redirect, [clearBindingCookie()]);
    return seeOther(req, finished.redirect, [
      clearBindingCookie(),
      await sessionCookie(finished.userId, finished.sessionToken),
    ]);
  } catch (e) {
    if (e instanceof SsoTestFailed) return seeOther(req, e.redirect, [clearBindingCookie()]);
    if (e instanceof SsoError) return seeOther(req, `/login?sso_error=${e.reason}`, [clearBindingCookie()]);
    throw e;
  }
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
