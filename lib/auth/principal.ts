import { decode } from "next-auth/jwt";
import { env, secureCookies } from "../env";
import { lookupUserMemberships } from "../db/lookup";
import { isRole, type Role } from "../rbac/permissions";
import type { OrgRef, SessionUser } from "../rbac/context";
import { resolveSessionToken } from "./sessions";

export type OrgMembership = { org: OrgRef; role: Role };

/** The next-auth session cookie's name (the `__Secure-` prefix when cookies are secure). */
export function sessionCookieName(): string {
  return secureCookies() ? "__Secure-next-auth.session-token" : "next-auth.session-token";
}

/** Reads the session cookie out of a Cookie header. */
export function sessionCookieFromHeader(cookieHeader: string | null): string | undefined {
  if (!cookieHeader) return undefined;
  const name = sessionCookieName();
  for (const part of cookieHeader.split(";")) {
    const idx = part.indexOf("=");
    if (idx < 0) continue;
    if (part.slice(0, idx).trim() === name) return decodeURIComponent(part.slice(idx + 1).trim());
  }
  return undefined;
}

/** The session token (`sid`) inside the next-auth cookie, if the cookie is authentic. */
export async function sessionTokenFromCookie(cookieValue: string | undefined): Promise<string | null> {
  if (!cookieValue || cookieValue.length > 8192) return null;
  try {
    const payload = await decode({ token: cookieValue, secret: env().NEXTAUTH_SECRET });
    const sid = payload?.sid;
    return typeof sid === "string" ? sid : null;
  } catch {
    return null;
  }
}

/** Resolves the signed-in user behind a session cookie, or null. */
export async function sessionUserFromCookie(cookieValue: string | undefined): Promise<SessionUser | null> {
  const sid = await sessionTokenFromCookie(cookieValue);
  return sid ? resolveSessionToken(sid) : null;
}

export async function membershipsOf(userId: string): Promise<OrgMembership[]> {
  const rows = await lookupUserMemberships(userId);
  return rows.flatMap((r) =>
    isRole(r.role) ? [{ org: { id: r.org_id, slug: r.slug, name: r.name }, role: r.role }] : [],
  );
}

/** The user's membership in the organization with this slug; null when not a member (or no such org). */
export async function membershipBySlug(userId: string, slug: string): Promise<OrgMembership | null> {
  if (!/^[a-z0-9-]{1,40}$/.test(slug)) return null;
  return (await membershipsOf(userId)).find((m) => m.org.slug === slug) ?? null;
}
