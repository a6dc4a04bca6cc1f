import { AppError } from "../errors";
import type { SessionUser } from "../rbac/context";
import type { OrgMembership } from "./principal";

/**
 * SSO-only organizations: a session acts in one only when that organization's
 * own IdP established it (`sso_org:<org id>` in the session's methods). The
 * exception is break-glass: an admin who completed sign-in with a recovery
 * code (recorded and announced to every admin when it happens).
 */
export type SsoAccess = "ok" | "break_glass" | "refused";

export function ssoAccess(
  user: Pick<SessionUser, "authMethods">,
  m: Pick<OrgMembership, "org" | "role" | "ssoEnforced">,
): SsoAccess {
  if (!m.ssoEnforced) return "ok";
  if (user.authMethods.includes(`sso_org:${m.org.id}`)) return "ok";
  if (m.role === "admin" && user.authMethods.includes("recovery")) return "break_glass";
  return "refused";
}

export function assertSsoCompliant(user: SessionUser, m: OrgMembership): void {
  if (ssoAccess(user, m) === "refused") {
    throw new AppError(
      "forbidden",
      `${m.org.name} requires single sign-on: sign out, then use “Continue with SSO” on the sign-in page`,
    );
  }
}

/** MFA evidence from the IdP counts only for the organization whose connection allowed it. */
export function idpMfaFor(user: Pick<SessionUser, "authMethods">, orgId: string): boolean {
  return user.authMethods.includes(`idp_mfa:${orgId}`);
}
