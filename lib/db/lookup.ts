import { db } from "./client";
import type { MemberRole } from "./generated/enums";

/**
 * The cross-tenant lookups, each a narrow SECURITY DEFINER function in the
 * database (see prisma/migrations). They run before a tenant is known, so they
 * are the only code that may name rows of any organization; they return the
 * minimum the caller needs.
 */

export type AuthUserRow = { id: string; email: string; name: string; password_hash: string | null };

export async function lookupUserByEmail(email: string): Promise<AuthUserRow | null> {
  const rows = await db().prisma.$queryRaw<AuthUserRow[]>`
    SELECT id, email, name, password_hash FROM warden_auth_user_by_email(${email})`;
  return rows[0] ?? null;
}

export type MembershipRow = {
  org_id: string;
  slug: string;
  name: string;
  role: string;
  mfa_policy: string;
  mfa_passkeys_only: boolean;
  mfa_grace_until: Date | null;
  step_up_approvals: string;
  sso_enforced: boolean;
};

export async function lookupUserMemberships(userId: string): Promise<MembershipRow[]> {
  const { rows } = await db().pool.query<MembershipRow>({
    name: "warden_user_memberships_v3",
    text: `SELECT org_id, slug, name, role::text AS role, mfa_policy, mfa_passkeys_only, mfa_grace_until,
                  step_up_approvals, sso_enforced FROM warden_user_memberships($1::uuid)`,
    values: [userId],
  });
  return rows;
}

export type SessionRow = {
  status: "active" | "revoked" | "expired";
  session_id: string;
  user_id: string;
  email: string;
  name: string;
  auth_methods: string[];
  created_at: Date;
  idle_timeout_seconds: number;
  absolute_timeout_seconds: number;
  /** 'mfa_pending' until the second factor passes. */
  stage: "mfa_pending" | "complete";
  /** The user's confirmed factors: 'totp', 'webauthn'. */
  factors: string[];
};

export async function lookupSession(tokenHash: string, touchAfterSeconds: number): Promise<SessionRow | null> {
  // Every signed-in request runs this: a named (prepared) statement on the raw
  // pool skips re-parsing and Prisma's per-query overhead.
  const { rows } = await db().pool.query<SessionRow>({
    name: "warden_session_resolve_v2",
    text: "SELECT * FROM warden_session_resolve($1, $2::int)",
    values: [tokenHash, touchAfterSeconds],
  });
  return rows[0] ?? null;
}

export async function revokeSessionByTokenHash(
  tokenHash: string,
  reason: string,
): Promise<{ session_id: string; user_id: string } | null> {
  const rows = await db().prisma.$queryRaw<{ session_id: string; user_id: string }[]>`
    SELECT * FROM warden_session_revoke(${tokenHash}, ${reason})`;
  return rows[0] ?? null;
}

/** The owner of a passkey, by its credential id (a passkey sign-in names no user). */
export async function lookupCredentialOwner(credentialId: string): Promise<string | null> {
  const { rows } = await db().pool.query<{ user_id: string }>({
    name: "warden_webauthn_credential_owner",
    text: "SELECT user_id FROM warden_webauthn_credential_owner($1)",
    values: [credentialId],
  });
  return rows[0]?.user_id ?? null;
}

/** Cheap liveness probe for /api/health. */
export type InvitationRow = {
  id: string;
  org_id: string;
  org_slug: string;
  org_name: string;
  user_id: string;
  email: string;
  has_password: boolean;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
};

export async function lookupInvitation(tokenHash: string): Promise<InvitationRow | null> {
  const rows = await db().prisma.$queryRaw<InvitationRow[]>`
    SELECT * FROM warden_invitation_by_token(${tokenHash})`;
  return rows[0] ?? null;
}

export type ApiKeyLookupRow = {
  id: string;
  org_id: string;
  org_slug: string;
  org_name: string;
  environment: "live" | "test";
  secret_hash: string;
  name: string;
  scopes: string[];
  agent_id: string | null;
  ip_allowlist: string[];
  rate_limit_per_minute: number | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  replaced_by: string | null;
  created_by_user_id: string | null;
  /** The creator's current role in the key's organization; null when they are no longer a member. */
  creator_role: MemberRole | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
  agent_slug: string | null;
  agent_name: string | null;
  agent_environment: "development" | "production" | null;
  agent_tool_registry: unknown;
  agent_rate_limit_per_minute: number | null;
  agent_daily_budget: number | null;
  agent_disabled_at: Date | null;
  active_policy_id: string | null;
  active_policy_version: number | null;
  org_sensitive_keys: string[];
};

/** The key verifier's lookup, before the tenant is known. */
export async function lookupApiKey(id: string): Promise<ApiKeyLookupRow | null> {
  // On every API-key request: a named (prepared) statement on the raw pool.
  const { rows } = await db().pool.query<ApiKeyLookupRow>({
    name: "warden_api_key_lookup",
    text: `SELECT id, org_id, org_slug, org_name, environment::text AS environment, secret_hash, name, scopes,
                  agent_id, ip_allowlist, rate_limit_per_minute, expires_at, revoked_at, replaced_by,
                  created_by_user_id, creator_role::text AS creator_role, last_used_at, last_used_ip,
                  agent_slug, agent_name, agent_environment::text AS agent_environment, agent_tool_registry,
                  agent_rate_limit_per_minute, agent_daily_budget, agent_disabled_at,
                  active_policy_id, active_policy_version, org_sensitive_keys
           FROM warden_api_key_lookup($1::uuid)`,
    values: [id],
  });
  return rows[0] ?? null;
}

/**
 * Organizations whose audit log grew since their last checkpoint (ids only),
 * for the scheduled checkpointer; each is then checkpointed inside its own
 * tenant transaction.
 */
export async function lookupOrgsNeedingCheckpoint(limit: number): Promise<string[]> {
  const rows = await db().prisma.$queryRaw<{ org_id: string }[]>`
    SELECT org_id FROM warden_orgs_needing_checkpoint(${limit}::int)`;
  return rows.map((r) => r.org_id);
}

/** Organizations with pending approvals past their expiry (ids only), for the expiry sweep. */
export async function lookupOrgsWithDueApprovals(limit: number): Promise<string[]> {
  const { rows } = await db().pool.query<{ org_id: string }>({
    name: "warden_orgs_with_due_approvals",
    text: "SELECT org_id FROM warden_orgs_with_due_approvals($1::int)",
    values: [limit],
  });
  return rows.map((r) => r.org_id);
}

/**
 * Organizations with a payload retention period and action payloads older
 * than it (ids only), for the retention sweep.
 */
export async function lookupOrgsWithExpiredPayloads(limit: number): Promise<string[]> {
  const rows = await db().prisma.$queryRaw<{ org_id: string }[]>`
    SELECT org_id FROM warden_orgs_with_expired_payloads(${limit}::int)`;
  return rows.map((r) => r.org_id);
}

/** Organizations with unevaluated audit events or due alert timers (ids only; lib/alerts). */
export async function orgsWithAlertWork(limit = 50): Promise<string[]> {
  const { rows } = await db().pool.query<{ org_id: string }>({
    name: "warden_orgs_with_alert_work",
    text: "SELECT org_id::text FROM warden_orgs_with_alert_work($1::int)",
    values: [limit],
  });
  return rows.map((r) => r.org_id);
}

/** The organizations in which a user is locked right now (lock_user responses). */
export async function lookupUserLocks(userId: string): Promise<{ org_id: string; locked_until: Date }[]> {
  const { rows } = await db().pool.query<{ org_id: string; locked_until: Date }>({
    name: "warden_user_locks",
    text: "SELECT org_id::text, locked_until FROM warden_user_locks($1::uuid)",
    values: [userId],
  });
  return rows;
}

export type ApiKeyRestrictions = {
  suspended_at: Date | null;
  throttle_per_minute: number | null;
  creator_locked: boolean;
};

/** Restrictions alert responses put on a key (suspended, throttled, its person locked). */
export async function lookupApiKeyRestrictions(id: string): Promise<ApiKeyRestrictions | null> {
  const { rows } = await db().pool.query<ApiKeyRestrictions>({
    name: "warden_api_key_restrictions",
    text: "SELECT suspended_at, throttle_per_minute, creator_locked FROM warden_api_key_restrictions($1::uuid)",
    values: [id],
  });
  return rows[0] ?? null;
}

export type SsoConnectionOrgRow = {
  org_id: string;
  org_slug: string;
  org_name: string;
  protocol: "oidc" | "saml";
  enabled: boolean;
};

/** The organization an SSO connection belongs to (the IdP's callback names only the connection). */
export async function lookupSsoConnectionOrg(connectionId: string): Promise<SsoConnectionOrgRow | null> {
  const rows = await db().prisma.$queryRaw<SsoConnectionOrgRow[]>`
    SELECT org_id::text, org_slug, org_name, protocol, enabled FROM warden_sso_connection_org(${connectionId}::uuid)`;
  return rows[0] ?? null;
}

export type SsoDiscoveryRow = { connection_id: string; org_id: string; org_slug: string; protocol: "oidc" | "saml" };

/** The enabled connection for an e-mail's verified domain, or for an organization's slug. */
export async function lookupSsoDiscovery(domain: string | null, slug: string | null): Promise<SsoDiscoveryRow | null> {
  const rows = await db().prisma.$queryRaw<SsoDiscoveryRow[]>`
    SELECT connection_id::text, org_id::text, org_slug, protocol FROM warden_sso_discover(${domain}, ${slug})`;
  return rows[0] ?? null;
}

/** The organization that verified a domain, if any. */
export async function lookupSsoDomainOwner(domain: string): Promise<string | null> {
  const rows = await db().prisma.$queryRaw<{ org_id: string }[]>`
    SELECT org_id::text FROM warden_sso_domain_owner(${domain})`;
  return rows[0]?.org_id ?? null;
}

/** Organizations with a verified SSO domain due for its daily re-check (ids only). */
export async function lookupOrgsWithSsoDomainsDue(limit: number): Promise<string[]> {
  const rows = await db().prisma.$queryRaw<{ org_id: string }[]>`
    SELECT org_id::text FROM warden_orgs_with_sso_domains_due(${limit}::int)`;
  return rows.map((r) => r.org_id);
}

export type ScimTokenLookupRow = {
  id: string;
  org_id: string;
  org_slug: string;
  org_name: string;
  secret_hash: string;
  expires_at: Date | null;
  revoked_at: Date | null;
};

/** A SCIM bearer token's row by id, before its organization is known. */
export async function lookupScimToken(id: string): Promise<ScimTokenLookupRow | null> {
  const rows = await db().prisma.$queryRaw<ScimTokenLookupRow[]>`
    SELECT id, org_id, org_slug, org_name, secret_hash, expires_at, revoked_at FROM warden_scim_token_lookup(${id}::uuid)`;
  return rows[0] ?? null;
}

export type MetricsSnapshot = {
  pendingApprovals: number;
  oldestPendingSeconds: number;
  checkpointAgeSeconds: number;
};

/** Installation-wide counts and ages for /metrics (no ids: see warden_metrics_snapshot). */
export async function lookupMetricsSnapshot(): Promise<MetricsSnapshot> {
  const { rows } = await db().pool.query<{
    pending_approvals: string;
    oldest_pending_seconds: number;
    checkpoint_age_seconds: number;
  }>({
    name: "warden_metrics_snapshot",
    text: "SELECT pending_approvals, oldest_pending_seconds, checkpoint_age_seconds FROM warden_metrics_snapshot()",
  });
  const r = rows[0]!;
  return {
    pendingApprovals: Number(r.pending_approvals),
    oldestPendingSeconds: Number(r.oldest_pending_seconds),
    checkpointAgeSeconds: Number(r.checkpoint_age_seconds),
  };
}

/** The migration versions the database has applied (dbmate's schema_migrations). */
export async function lookupAppliedMigrations(): Promise<string[]> {
  const { rows } = await db().pool.query<{ version: string }>({
    name: "warden_applied_migrations",
    text: "SELECT version FROM warden_applied_migrations()",
  });
  return rows.map((r) => r.version);
}

/** Organizations with an audit export request whose time ran out unrecorded (ids only), for the expiry sweep. */
export async function lookupOrgsWithExpiredExports(
  windows: { readySeconds: number; approvedSeconds: number },
  limit: number,
): Promise<string[]> {
  const { rows } = await db().pool.query<{ org_id: string }>({
    name: "warden_orgs_with_expired_exports",
    text: "SELECT org_id FROM warden_orgs_with_expired_exports($1::int, $2::int, $3::int)",
    values: [windows.readySeconds, windows.approvedSeconds, limit],
  });
  return rows.map((r) => r.org_id);
}
