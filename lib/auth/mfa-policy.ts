import { AppError } from "../errors";
import type { SessionUser } from "../rbac/context";
import type { OrgMembership } from "./principal";
import { SECOND_FACTOR_METHODS } from "./sessions";
import { idpMfaFor } from "./sso-policy";

/**
 * An organization's MFA policy applied to one member: off, required for admins
 * and approvers ("privileged"), or required for everyone; optionally passkeys
 * only (phishing-resistant). Existing members may have a grace period.
 */
export function mfaRequiredFor(m: Pick<OrgMembership, "role" | "mfa">): boolean {
  if (m.mfa.policy === "everyone") return true;
  return m.mfa.policy === "privileged" && (m.role === "admin" || m.role === "approver");
}

export type Compliance =
  | { ok: true; grace: Date | null }
  | { ok: false; reason: "no_factor" | "no_passkey" | "session_without_mfa" | "session_without_passkey" };

export function mfaCompliance(
  user: SessionUser,
  m: Pick<OrgMembership, "role" | "mfa"> & { org?: OrgMembership["org"] },
  now = new Date(),
): Compliance {
  if (!mfaRequiredFor(m)) return { ok: true, grace: null };
  // A fresh multi-factor sign-in at this organization's own IdP, where its SSO
  // connection allows that to count (lib/sso/provision.ts decides freshness).
  if (m.org && !m.mfa.passkeysOnly && idpMfaFor(user, m.org.id)) return { ok: true, grace: null };
  const hasFactor = m.mfa.passkeysOnly ? user.factors.includes("webauthn") : user.factors.length > 0;
  const sessionOk = m.mfa.passkeysOnly
    ? user.authMethods.includes("webauthn")
    : user.authMethods.some((x) => SECOND_FACTOR_METHODS.includes(x));
  if (hasFactor && sessionOk) return { ok: true, grace: null };
  if (m.mfa.graceUntil && m.mfa.graceUntil > now) return { ok: true, grace: m.mfa.graceUntil };
  if (!hasFactor) return { ok: false, reason: m.mfa.passkeysOnly ? "no_passkey" : "no_factor" };
  return { ok: false, reason: m.mfa.passkeysOnly ? "session_without_passkey" : "session_without_mfa" };
}

/** Checked on every request inside an organization (API and pages): a non-compliant member may only enrol. */
export function assertMfaCompliant(user: SessionUser, m: OrgMembership): void {
  const c = mfaCompliance(user, m);
  if (c.ok) return;
  const messages = {
    no_factor: `${m.org.name} requires multi-factor authentication: add an authenticator app or a passkey on your account page (/account)`,
    no_passkey: `${m.org.name} requires a passkey: add one on your account page (/account)`,
    session_without_mfa: `${m.org.name} requires multi-factor authentication: sign out and sign in again with your second factor`,
    session_without_passkey: `${m.org.name} requires signing in with a passkey: sign out and sign in again with your passkey`,
  };
  throw new AppError("mfa_enrollment_required", messages[c.reason]);
}

/** Whether removing this factor would leave the person non-compliant in one of their organizations. */
export function lastRequiredFactor(
  memberships: Pick<OrgMembership, "role" | "mfa" | "org">[],
  remaining: { totp: boolean; passkeys: number },
): string | null {
  for (const m of memberships) {
    if (!mfaRequiredFor(m)) continue;
    const left = m.mfa.passkeysOnly ? remaining.passkeys > 0 : remaining.totp || remaining.passkeys > 0;
    if (!left) return m.org.name;
  }
  return null;
}
