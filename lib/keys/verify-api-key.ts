import { lookupApiKey, type ApiKeyLookupRow } from "../db/lookup";
import { env } from "../env";
import type { VerifiedKey } from "../rbac/context";
import { scopesWithinRole, type Permission } from "../rbac/permissions";
import { constantTimeEqualHex, sha256Hex } from "../security/hash";
import { consume, rateLimitHeaders, type LimiterSpec } from "../security/rate-limit";
import { parseApiKey } from "./format";
import { ipAllowed } from "./ip-allowlist";

/**
 * The key verification pipeline, in this order, each step with an explicit
 * status: parse → checksum → look up by id → constant-time secret compare →
 * revoked → expired → IP allowed → creator still a member → scope → rate
 * limit. Nothing is cached, so a revoked or expired key is refused on its very
 * next request.
 *
 * A key acts for the person who created it and never for more than that
 * person holds now: its scopes are narrowed to the creator's current role, and
 * a key whose creator left the organization is refused.
 */
export type KeyStatus =
  | "valid"
  | "malformed"
  | "bad_checksum"
  | "not_found"
  | "invalid_secret"
  | "revoked"
  | "expired"
  | "ip_not_allowed"
  | "creator_not_member"
  | "insufficient_scope"
  | "rate_limited";

export type Verification = {
  status: KeyStatus;
  key?: VerifiedKey;
  /** RateLimit headers to send with the response (present once the rate limit ran). */
  headers: Record<string, string>;
};

// A missing key is compared against this, so it costs the same as a wrong secret.
const DUMMY_HASH = sha256Hex("warden-dummy-secret-for-constant-time-rejection");

export function keyLimiterSpec(row: Pick<ApiKeyLookupRow, "id" | "rate_limit_per_minute">): LimiterSpec {
  return {
    keyPrefix: "req-key",
    points: row.rate_limit_per_minute ?? env().RATE_LIMIT_KEY_PER_MINUTE,
    durationSeconds: 60,
  };
}

export function orgLimiterSpec(): LimiterSpec {
  return { keyPrefix: "req-org", points: env().RATE_LIMIT_ORG_PER_MINUTE, durationSeconds: 60 };
}

/**
 * Keys this process verified recently, with what their rate-limit counters
 * need (organization, limit). For such a key the counters are taken alongside
 * the lookup instead of after it: one round trip less on every agent request.
 * An id never seen valid waits for its lookup first, so forged ids create no
 * counters. Bounded; the first request after a restart takes the slower path.
 */
const recentKeys = new Map<string, { orgId: string; limit: number | null }>();
const RECENT_MAX = 10_000;

function remember(id: string, orgId: string, limit: number | null): void {
  recentKeys.delete(id);
  recentKeys.set(id, { orgId, limit });
  if (recentKeys.size > RECENT_MAX) recentKeys.delete(recentKeys.keys().next().value!);
}

function takeCounters(keyId: string, orgId: string, limit: number | null) {
  const keySpec = keyLimiterSpec({ id: keyId, rate_limit_per_minute: limit });
  const orgSpec = orgLimiterSpec();
  const states = Promise.all([consume(keySpec, keyId), consume(orgSpec, orgId)]);
  states.catch(() => {});
  return { keySpec, orgSpec, states };
}

export async function verifyApiKey(
  token: string,
  opts: { ip: string | null; permission: Permission | null; now?: Date },
): Promise<Verification> {
  const now = opts.now ?? new Date();
  const parsed = parseApiKey(token);
  if (!parsed.ok) return { status: parsed.reason, headers: {} };

  const hint = recentKeys.get(parsed.id);
  const early = hint ? takeCounters(parsed.id, hint.orgId, hint.limit) : null;
  const row = await lookupApiKey(parsed.id);
  const secretOk = constantTimeEqualHex(sha256Hex(parsed.secret), row?.secret_hash ?? DUMMY_HASH);
  if (!row) {
    recentKeys.delete(parsed.id);
    return { status: "not_found", headers: {} };
  }
  if (!secretOk || row.environment !== parsed.env) return { status: "invalid_secret", headers: {} };
  if (row.revoked_at) return { status: "revoked", headers: {} };
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return { status: "expired", headers: {} };
  if (!ipAllowed(opts.ip, row.ip_allowlist)) return { status: "ip_not_allowed", headers: {} };
  const creatorRole = row.creator_role;
  if (!creatorRole) return { status: "creator_not_member", headers: {} };
  const { usable, suspended } = scopesWithinRole(row.scopes, creatorRole);

  const key: VerifiedKey = {
    id: row.id,
    orgId: row.org_id,
    orgSlug: row.org_slug,
    orgName: row.org_name,
    environment: row.environment,
    name: row.name,
    scopes: usable,
    suspendedScopes: suspended,
    creatorRole,
    agentId: row.agent_id,
    createdByUserId: row.created_by_user_id,
    expiresAt: row.expires_at,
    rotating: row.replaced_by !== null,
    lastUsedAt: row.last_used_at,
    lastUsedIp: row.last_used_ip,
    agent:
      row.agent_id && row.agent_slug && row.agent_environment
        ? {
            id: row.agent_id,
            slug: row.agent_slug,
            name: row.agent_name ?? row.agent_slug,
            environment: row.agent_environment,
            toolRegistry: row.agent_tool_registry,
            rateLimitPerMinute: row.agent_rate_limit_per_minute,
            dailyBudget: row.agent_daily_budget,
            disabled: row.agent_disabled_at !== null,
          }
        : null,
    activePolicy:
      row.active_policy_id && row.active_policy_version
        ? { id: row.active_policy_id, version: row.active_policy_version }
        : null,
    orgSensitiveKeys: row.org_sensitive_keys ?? [],
  };
  if (opts.permission && !key.scopes.includes(opts.permission))
    return { status: "insufficient_scope", key, headers: {} };

  const counters =
    early && hint!.orgId === row.org_id && hint!.limit === row.rate_limit_per_minute
      ? early
      : takeCounters(row.id, row.org_id, row.rate_limit_per_minute);
  remember(row.id, row.org_id, row.rate_limit_per_minute);
  const { keySpec, orgSpec } = counters;
  const [perKey, perOrg] = await counters.states;
  const headers = rateLimitHeaders([
    { name: "key", spec: keySpec, state: perKey },
    { name: "organization", spec: orgSpec, state: perOrg },
  ]);
  if (perKey.limited || perOrg.limited) return { status: "rate_limited", key, headers };
  return { status: "valid", key, headers };
}
