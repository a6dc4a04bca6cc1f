import { randomUUID } from "node:crypto";
import { appendAuditEvent } from "../audit/append-event";
import { lookupUserByEmail } from "../db/lookup";
import { withTenant } from "../db/tenant";
import type { Role } from "../rbac/permissions";
import type { GroupRole, SsoConnection } from "./connections";
import { SsoError, type SsoProfile } from "./profile";

/**
 * Just-in-time provisioning. An SSO sign-in may create an account and a
 * membership, but only for an e-mail in a domain this organization verified.
 * The role comes from the IdP's groups through the connection's map (highest
 * match wins) or the default; admin and approver are never granted by the
 * IdP alone: they wait for an admin's confirmation (sso_role_requests).
 */

const RANK: Record<Role, number> = { viewer: 0, auditor: 1, approver: 2, admin: 3 };
/** Roles JIT grants without a person confirming. */
const SELF_SERVE: ReadonlySet<Role> = new Set(["viewer", "auditor"]);

export function mappedRole(groupRoles: GroupRole[], defaultRole: Role, groups: string[]): Role {
  const set = new Set(groups);
  let best: Role | null = null;
  for (const g of groupRoles) if (set.has(g.group) && (best === null || RANK[g.role] > RANK[best])) best = g.role;
  return best ?? defaultRole;
}

/** The checks a profile must pass before it signs anyone in (also what a test sign-in reports). */
export async function profileProblems(orgId: string, profile: SsoProfile): Promise<string[]> {
  const problems: string[] = [];
  if (!profile.email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(profile.email)) {
    problems.push("The IdP sent no usable e-mail address");
    return problems;
  }
  if (profile.emailVerified === false) problems.push("The IdP says this e-mail address is not verified");
  const domain = profile.email.split("@")[1]!;
  const verified = await withTenant({ orgId }, (tx) =>
    tx.ssoDomain.findFirst({ where: { domain, status: "verified" }, select: { id: true } }),
  );
  if (!verified) problems.push(`${domain} is not a verified domain of this organization`);
  return problems;
}

export type Provisioned = { userId: string; role: Role; created: boolean; pendingRole: Role | null };

export async function provisionFromSso(
  c: SsoConnection,
  profile: SsoProfile,
  meta: { ip: string | null },
): Promise<Provisioned> {
  const problems = await profileProblems(c.orgId, profile);
  if (problems.length > 0) {
    const reason = profile.email
      ? profile.emailVerified === false
        ? "email_unverified"
        : "domain_not_verified"
      : "no_email";
    throw new SsoError(reason, problems.join("; "));
  }
  const email = profile.email!;
  const existing = await lookupUserByEmail(email);
  const target = mappedRole(c.groupRoles, c.defaultRole, profile.groups);

  const result = await withTenant({ orgId: c.orgId }, async (tx) => {
    const identity = await tx.ssoIdentity.findUnique({
      where: { orgId_connectionId_subject: { orgId: c.orgId, connectionId: c.id, subject: profile.subject } },
    });
    let userId: string;
    let createdUser = false;
    if (identity) {
      userId = identity.userId;
      // The subject is the IdP's stable name for the person; an address that now
      // belongs to someone else's account must not move this sign-in onto it.
      if (existing && existing.id !== userId) {
        throw new SsoError("identity_conflict", "This IdP account is linked to a different Warden account");
      }
      await tx.ssoIdentity.update({
        where: { orgId_connectionId_subject: { orgId: c.orgId, connectionId: c.id, subject: profile.subject } },
        data: { lastSignInAt: new Date() },
      });
    } else {
      userId = existing?.id ?? randomUUID();
      if (!existing) {
        createdUser = true;
        await tx.$executeRaw`INSERT INTO users (id, email, name) VALUES (${userId}::uuid, ${email}, ${(profile.name ?? "").slice(0, 200)})`;
      }
      await tx.ssoIdentity.create({ data: { orgId: c.orgId, connectionId: c.id, subject: profile.subject, userId } });
    }

    // Deactivated by the organization's SCIM provisioning: only SCIM (active=true) brings them back.
    const scim = await tx.scimUser.findUnique({ where: { orgId_userId: { orgId: c.orgId, userId } } });
    if (scim && !scim.active) {
      throw new SsoError("deactivated", "This account was deactivated in this organization", undefined, userId);
    }

    let membership = await tx.membership.findUnique({ where: { orgId_userId: { orgId: c.orgId, userId } } });
    let createdMembership = false;
    if (!membership) {
      const role: Role = SELF_SERVE.has(target)
        ? target
        : c.defaultRole === "admin" || c.defaultRole === "approver"
          ? "viewer"
          : c.defaultRole;
      membership = await tx.membership.create({ data: { orgId: c.orgId, userId, role } });
      createdMembership = true;
      await appendAuditEvent(tx, {
        orgId: c.orgId,
        actor: { type: "system", id: "sso" },
        action: "member.added",
        target: { type: "user", id: userId },
        ip: meta.ip,
        data: { email, role, invited: false, via: "sso", connection_id: c.id, account_created: createdUser },
      });
    }

    // An account locked here by an alert response is refused like any other sign-in.
    const lock = await tx.memberLock.findUnique({ where: { orgId_userId: { orgId: c.orgId, userId } } });
    if (lock && lock.lockedUntil > new Date()) {
      throw new SsoError("locked", "This account is locked in this organization", undefined, userId);
    }

    let pendingRole: Role | null = null;
    if (!SELF_SERVE.has(target) && RANK[target] > RANK[membership.role]) {
      pendingRole = target;
      const existingRequest = await tx.ssoRoleRequest.findUnique({
        where: { orgId_userId: { orgId: c.orgId, userId } },
      });
      if (!existingRequest || existingRequest.role !== target) {
        await tx.ssoRoleRequest.upsert({
          where: { orgId_userId: { orgId: c.orgId, userId } },
          create: { orgId: c.orgId, userId, connectionId: c.id, role: target, groups: profile.groups.slice(0, 100) },
          update: { connectionId: c.id, role: target, groups: profile.groups.slice(0, 100), createdAt: new Date() },
        });
        await appendAuditEvent(tx, {
          orgId: c.orgId,
          actor: { type: "system", id: "sso" },
          action: "sso.role_requested",
          target: { type: "user", id: userId },
          ip: meta.ip,
          data: {
            email,
            role: target,
            current_role: membership.role,
            groups: profile.groups.slice(0, 100),
            connection_id: c.id,
          },
        });
      }
    } else if (RANK[target] > RANK[membership.role]) {
      // viewer → auditor through the map: within what JIT may grant on its own.
      await tx.membership.update({ where: { id: membership.id }, data: { role: target, updatedAt: new Date() } });
      await appendAuditEvent(tx, {
        orgId: c.orgId,
        actor: { type: "system", id: "sso" },
        action: "member.role_changed",
        target: { type: "user", id: userId },
        ip: meta.ip,
        data: { email, from: membership.role, to: target, via: "sso", groups: profile.groups.slice(0, 100) },
      });
      membership = { ...membership, role: target };
    }

    await appendAuditEvent(tx, {
      orgId: c.orgId,
      actor: { type: "user", id: userId },
      action: "sso.sign_in",
      target: { type: "sso_connection", id: c.id },
      ip: meta.ip,
      data: {
        protocol: c.protocol,
        subject: profile.subject.slice(0, 200),
        email,
        groups: profile.groups.slice(0, 100),
        role: membership.role,
        provisioned: createdMembership,
        pending_role: pendingRole,
        amr: profile.amr,
        acr: profile.acr,
      },
    });
    return { userId, role: membership.role, created: createdMembership, pendingRole };
  });
  return result;
}

/** RFC 8176 amr values that mean more than one factor (or a phishing-resistant one). */
const MFA_AMR = new Set(["mfa", "otp", "hwk", "fido", "sc"]);
/** acr / SAML AuthnContextClassRef values that mean multi-factor. */
const MFA_ACR = new Set([
  "https://refeds.org/profile/mfa",
  "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
  "http://schemas.microsoft.com/claims/multipleauthn",
  "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
  "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered",
  "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken",
]);
/** How recent the IdP's authentication must be for its MFA to count here. */
export const IDP_MFA_MAX_AGE_MS = 10 * 60_000;

/** The IdP says the person just authenticated with more than one factor. */
export function idpReportsFreshMfa(p: SsoProfile, now = Date.now()): boolean {
  const mfa = p.amr.some((a) => MFA_AMR.has(a)) || (p.acr !== null && MFA_ACR.has(p.acr));
  const fresh =
    p.authTime !== null && now - p.authTime.getTime() <= IDP_MFA_MAX_AGE_MS && p.authTime.getTime() <= now + 60_000;
  return mfa && fresh;
}
