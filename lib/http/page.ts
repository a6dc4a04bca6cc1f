import { cache } from "react";
import { cookies, headers } from "next/headers";
import { forbidden, notFound, redirect } from "next/navigation";
import {
  membershipBySlug,
  membershipsOf,
  sessionCookieName,
  sessionUserFromCookie,
  type OrgMembership,
} from "../auth/principal";
import { mfaCompliance } from "../auth/mfa-policy";
import { ssoAccess } from "../auth/sso-policy";
import { clientIpFrom } from "./client-ip";
import { safeNextPath } from "./safe-redirect";
import { can, userContext, type OrgContext, type SessionUser } from "../rbac/context";
import type { Permission, Role } from "../rbac/permissions";

/**
 * The page-side twin of route(): a page declares the permission it needs and
 * gets the same OrgContext the API builds. No session → sign-in; not a member
 * (or no such organization) → 404; member without the permission → 403.
 */

export const currentUser = cache(async (): Promise<SessionUser | null> => {
  const value = (await cookies()).get(sessionCookieName())?.value;
  return sessionUserFromCookie(value);
});

export async function requireUser(fallbackPath = "/"): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) {
    const requested = safeNextPath((await headers()).get("x-warden-path") ?? fallbackPath);
    redirect(`/login?next=${encodeURIComponent(requested)}`);
  }
  return user;
}

export const currentMemberships = cache(async (userId: string): Promise<OrgMembership[]> => membershipsOf(userId));

/** Pages are always used by a signed-in person with a role. */
export type PageContext = OrgContext & { principal: { kind: "user"; user: SessionUser }; role: Role };

const orgContext = cache(async (slug: string): Promise<PageContext> => {
  const user = await requireUser(`/${slug}`);
  const membership = await membershipBySlug(user.userId, slug);
  if (!membership) notFound();
  // The organization's MFA policy: a member without a compliant factor (or a
  // session that did not use it) may only go to their account page and enrol.
  if (!mfaCompliance(user, membership).ok) redirect("/account");
  // SSO-only: a session not established through this organization's IdP may not use it.
  if (ssoAccess(user, membership) === "refused") redirect(`/login?sso_error=sso_required&org=${membership.org.slug}`);
  const h = await headers();
  const principal = { kind: "user" as const, user };
  const ctx = userContext({
    requestId: h.get("x-request-id") ?? crypto.randomUUID(),
    ip: clientIpFrom(h),
    userAgent: h.get("user-agent"),
    principal,
    org: membership.org,
    role: membership.role,
  });
  return { ...ctx, principal, role: membership.role };
});

export async function requireOrgPage(slug: string, permission: Permission): Promise<PageContext> {
  const ctx = await orgContext(slug);
  if (!can(ctx, permission)) forbidden();
  return ctx;
}
