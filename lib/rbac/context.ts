import type { AgentEnvironment, ApiKeyEnvironment } from "../db/generated/enums";
import type { TenantScope } from "../db/scope";
import { AppError } from "../errors";
import { ROLE_PERMISSIONS, type Permission, type Role } from "./permissions";

/**
 * The shapes of who can act. The areas that establish them (lib/auth for
 * sessions, lib/keys for API keys) produce these; every area below them can
 * take an OrgContext without importing them.
 */

export type OrgRef = { id: string; slug: string; name: string };

/** A signed-in person, as resolved from their session (lib/auth/sessions.ts). */
export type SessionUser = {
  sessionId: string;
  userId: string;
  email: string;
  name: string;
  /** How the session was established: pwd, otp, webauthn, recovery, sso. */
  authMethods: string[];
  createdAt: Date;
  /** True while the password has passed but the second factor has not: the session can only finish signing in. */
  mfaPending: boolean;
  /**
   * True while the session must confirm a fresh second factor before anything
   * else (an alert rule's require_step_up, e.g. a sign-in from a new address):
   * like mfaPending, it can only do that or sign out.
   */
  stepUpRequired?: boolean;
  /** The person's confirmed factors ('totp', 'webauthn'). */
  factors: string[];
};

/** An API key as verified for this request (lib/keys/verify-api-key.ts). */
export type VerifiedKey = {
  id: string;
  orgId: string;
  orgSlug: string;
  orgName: string;
  environment: ApiKeyEnvironment;
  name: string;
  /** The scopes the key acts with: those it was granted that its creator still holds. */
  scopes: Permission[];
  /** Granted scopes the creator no longer holds (after a role change), not usable until they do again. */
  suspendedScopes: Permission[];
  creatorRole: Role;
  agentId: string | null;
  createdByUserId: string | null;
  expiresAt: Date | null;
  rotating: boolean;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
  /** The agent the key is bound to (its identity for actions), if any. */
  agent: {
    id: string;
    slug: string;
    name: string;
    environment: AgentEnvironment;
    toolRegistry: unknown;
    rateLimitPerMinute: number | null;
    dailyBudget: number | null;
    disabled: boolean;
  } | null;
  activePolicy: { id: string; version: number } | null;
  /** The organization's extra secret-looking parameter names, for redaction. */
  orgSensitiveKeys: string[];
};

/** Who did something, as the audit log records it. */
export type ActorType = "user" | "api_key" | "system";
export type Actor = { type: ActorType; id: string | null };

/**
 * Who is calling: a signed-in person, an API key (an agent or a script), or the
 * system itself (seeding and provisioning scripts; never produced by a route).
 */
export type Principal =
  { kind: "user"; user: SessionUser } | { kind: "api_key"; key: VerifiedKey } | { kind: "system"; name: string };

/** Everything domain code needs to act for a caller inside one organization. */
export type OrgContext = {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  principal: Principal;
  org: OrgRef;
  /** The member's role; null for API keys, whose permissions are their scopes. */
  role: Role | null;
  permissions: ReadonlySet<Permission>;
};

type Base = Omit<OrgContext, "permissions" | "role">;

export function userContext(args: Base & { role: Role }): OrgContext {
  return { ...args, permissions: ROLE_PERMISSIONS[args.role] };
}

export function keyContext(args: Base & { principal: { kind: "api_key"; key: VerifiedKey } }): OrgContext {
  return { ...args, role: null, permissions: new Set(args.principal.key.scopes) };
}

/** Provisioning as the system: every permission, audited with a system actor. */
export function systemContext(org: OrgRef, name: string): OrgContext {
  return {
    requestId: `system:${name}`,
    ip: null,
    userAgent: null,
    principal: { kind: "system", name },
    org,
    role: null,
    permissions: ROLE_PERMISSIONS.admin,
  };
}

export function can(ctx: OrgContext, permission: Permission): boolean {
  return ctx.permissions.has(permission);
}

export function assertCan(ctx: OrgContext, permission: Permission): void {
  if (!can(ctx, permission)) throw new AppError("forbidden", `This requires the ${permission} permission`);
}

export function actorOf(ctx: OrgContext): Actor {
  switch (ctx.principal.kind) {
    case "user":
      return { type: "user", id: ctx.principal.user.userId };
    case "api_key":
      return { type: "api_key", id: ctx.principal.key.id };
    case "system":
      return { type: "system", id: ctx.principal.name };
  }
}

/** The signed-in person behind the request, if it is a person. */
export function userIdOf(ctx: OrgContext): string | null {
  return ctx.principal.kind === "user" ? ctx.principal.user.userId : null;
}

export function tenantOf(ctx: OrgContext): TenantScope {
  return { orgId: ctx.org.id, userId: userIdOf(ctx) };
}
