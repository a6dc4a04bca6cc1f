import { sessionUserFromCookie } from "@/lib/auth/principal";
import { route } from "@/lib/http/route";
import { safeNextPath } from "@/lib/http/safe-redirect";
import { bindingCookie, publicOrigin, seeOther, sessionCookieFromHeader } from "@/lib/http/sso-cookies";
import { REQUEST_TTL_SECONDS, limitSsoStart, startSso } from "@/lib/sso/flow";
import { SsoError } from "@/lib/sso/profile";
import { startQuerySchema } from "@/lib/sso/schemas";
import { otherMethods } from "@/lib/http/methods";

/**
 * "Continue with SSO" (a plain GET form on the login page) and the admin's
 * "Test sign-in": sets the browser binding and sends the browser to the IdP.
 * Refusals go back to the page they came from with a reason code; too many
 * starts from one address get 429 problem+json.
 */
export const GET = route({ public: true }, async ({ req, ip }) => {
  const limitHeaders = await limitSsoStart(ip);
  const parsed = startQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  const q = parsed.success ? parsed.data : {};
  const test = q.test === "1" && Boolean(q.connection);
  try {
    if (!parsed.success) throw new SsoError("bad_request", "Enter an e-mail address or an organization");
    const user = test ? await sessionUserFromCookie(sessionCookieFromHeader(req.headers.get("cookie"))) : null;
    if (test && !user) return seeOther(req, `/login?next=${encodeURIComponent("/")}`);
    const started = await startSso({
      identifier: q.identifier,
      testConnectionId: test ? q.connection : undefined,
      next: safeNextPath(q.next),
      user,
      origin: publicOrigin(req),
    });
    return new Response(null, {
      status: 303,
      headers: {
        location: started.redirectUrl,
        "set-cookie": bindingCookie(started.binding, REQUEST_TTL_SECONDS),
        "cache-control": "no-store",
        ...limitHeaders,
      },
    });
  } catch (e) {
    if (!(e instanceof SsoError)) throw e;
    const back = test && q.org ? `/${q.org}/settings/sso?test_error=${e.reason}` : `/login?sso_error=${e.reason}`;
    return seeOther(req, back);
  }
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
