import { route } from "@/lib/http/route";
import { bindingFrom, clearBindingCookie, seeOther, sessionCookie } from "@/lib/http/sso-cookies";
import { finishSaml, SsoTestFailed } from "@/lib/sso/flow";
import { SsoError } from "@/lib/sso/profile";
import { connectionParams } from "@/lib/sso/schemas";
import { otherMethods } from "@/lib/http/methods";

/** After the SAML ACS: this browser must hold the binding of the sign-in it started. */
export const GET = route({ public: true, params: connectionParams }, async ({ req, ip, params }) => {
  try {
    const finished = await finishSaml({
      connectionId: params.connectionId,
      state: new URL(req.url).searchParams.get("state"),
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
