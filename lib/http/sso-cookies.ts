import { encode } from "next-auth/jwt";
import { sessionCookieName, sessionCookieFromHeader } from "../auth/principal";
import { env, secureCookies } from "../env";
import { SESSION_MAX_AGE_SECONDS } from "./next-auth";

/**
 * Cookies of the SSO round trip. The binding cookie ties a sign-in to the
 * browser that started it (Lax: it comes back on the IdP's top-level GET
 * redirect; SAML's cross-site POST is answered with a same-site GET that
 * carries it). The session cookie is the same next-auth JWT a password
 * sign-in gets: only `sid`, the session row's token.
 */
export function bindingCookieName(): string {
  return secureCookies() ? "__Secure-warden-sso" : "warden-sso";
}

export function bindingCookie(value: string, maxAgeSeconds: number): string {
  const secure = secureCookies() ? "; Secure" : "";
  return `${bindingCookieName()}=${value}; Path=/api/sso; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

export function clearBindingCookie(): string {
  return bindingCookie("", 0);
}

export function bindingFrom(req: Request): string | undefined {
  const header = req.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === bindingCookieName()) return part.slice(i + 1).trim() || undefined;
  }
  return undefined;
}

export async function sessionCookie(userId: string, sessionToken: string): Promise<string> {
  const jwt = await encode({
    token: { sub: userId, sid: sessionToken },
    secret: env().NEXTAUTH_SECRET,
    maxAge: SESSION_MAX_AGE_SECONDS,
  });
  const secure = secureCookies() ? "; Secure" : "";
  return `${sessionCookieName()}=${jwt}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_MAX_AGE_SECONDS}${secure}`;
}

export { sessionCookieFromHeader };

/** This server's public origin: NEXTAUTH_URL when configured, else the request's own. */
export function publicOrigin(req: Request): string {
  const configured = env().NEXTAUTH_URL;
  return configured ? new URL(configured).origin : new URL(req.url).origin;
}

/** A 303 to a path on this server (never elsewhere), with cookies. */
export function seeOther(req: Request, path: string, cookies: string[] = []): Response {
  const headers = new Headers({ location: new URL(path, publicOrigin(req)).href, "cache-control": "no-store" });
  for (const c of cookies) headers.append("set-cookie", c);
  return new Response(null, { status: 303, headers });
}
