import { decode } from "next-auth/jwt";
import { env, secureCookies } from "../env";
import { lookupUserLocks, lookupUserMemberships } from "../db/lookup";
import { isRole, type Role } from "../rbac/permissions";
import type { OrgRef, SessionUser } from "../rbac/context";
import { resolveSessionToken } from "./sessions";

/** An organization's MFA policy (set in its settings; lib/auth/mfa-policy.ts enforces it). */
export type OrgMfaPolicy = {
  policy: "off" | "privileged" | "everyone";
  passkeysOnly: boolean;
  graceUntil: Date | null;
  stepUpApprovals: "every" | "high" | "none";
};

export type OrgMembership = {
  org: OrgRef;
  role: Role;
  mfa: OrgMfaPolicy;
  /** SSO-only: sessions not established through this organization's SSO may not act here (sso-policy.ts). */
  ssoEnforced: boolean;
};

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
export async function sessionUserFromCookie(
  cookieValue: string | undefined,
  opts: { allowMfaPending?: boolean } = {},
): Promise<SessionUser | null> {
  const sid = await sessionTokenFromCookie(cookieValue);
  return sid ? resolveSessionToken(sid, opts) : null;
}

/**
 * The organizations a person may use now: their memberships, less those in
 * which an alert response (lock_user) has locked them.
 */
export async function membershipsOf(userId: string): Promise<OrgMembership[]> {
  const [rows, locks] = await Promise.all([lookupUserMemberships(userId), lookupUserLocks(userId)]);
  const locked = new Set(locks.map((l) => l.org_id));
  return rows.flatMap((r) =>
    isRole(r.role) && !locked.has(r.org_id)
      ? [
          {
            org: { id: r.org_id, slug: r.slug, name: r.name },
            role: r.role,
            mfa: {
              policy: (["privileged", "everyone"].includes(r.mfa_policy)
                ? r.mfa_policy
                : "off") as OrgMfaPolicy["policy"],
              passkeysOnly: r.mfa_passkeys_only === true,
              graceUntil: r.mfa_grace_until,
              stepUpApprovals: (["every", "none"].includes(r.step_up_approvals)
                ? r.step_up_approvals
                : "high") as OrgMfaPolicy["stepUpApprovals"],
            },
            ssoEnforced: r.sso_enforced === true,
          },
        ]
      : [],
  );
}

/** The user's membership in the organization with this slug; null when not a member (or no such org). */
export async function membershipBySlug(userId: string, slug: string): Promise<OrgMembership | null> {
  if (!/^[a-z0-9-]{1,40}$/.test(slug)) return null;
  return (await membershipsOf(userId)).find((m) => m.org.slug === slug) ?? null;
}
