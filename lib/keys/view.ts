import type { ApiKey } from "../db/generated/client";
import { scopesWithinRole, type Role } from "../rbac/permissions";
import { displayPrefix } from "./format";

export const EXPIRING_SOON_MS = 7 * 24 * 60 * 60 * 1000;
export const ROTATION_DUE_MS = 90 * 24 * 60 * 60 * 1000;

/** "suspended": the person the key acts for is no longer a member of the organization. */
export type ApiKeyStatus = "active" | "expiring_soon" | "expired" | "revoked" | "rotating" | "suspended";

/** What a key view needs besides the row: the person it acts for, and their role here now. */
export function keyViewInclude(orgId: string) {
  return {
    createdByUser: { select: { email: true, memberships: { where: { orgId }, select: { role: true } } } },
  } as const;
}

export type ApiKeyRow = ApiKey & {
  createdByUser: { email: string; memberships: { role: Role }[] } | null;
};

export type ApiKeyView = {
  id: string;
  name: string;
  environment: "live" | "test";
  prefix: string;
  last4: string;
  scopes: string[];
  /** Granted scopes the creator no longer holds: not usable until they do again. */
  suspended_scopes: string[];
  status: ApiKeyStatus;
  agent_id: string | null;
  ip_allowlist: string[];
  rate_limit_per_minute: number | null;
  expires_at: string | null;
  created_at: string;
  /**
   * Who made the key: a person, or a key (acting for the person in
   * `on_behalf_of`). The key acts for that person, within their current role.
   */
  created_by:
    | { type: "user"; id: string; email: string | null; role: Role | null }
    | { type: "api_key"; id: string; on_behalf_of: { id: string; email: string | null; role: Role | null } | null }
    | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  revoked_at: string | null;
  revoke_reason: string | null;
  replaced_by: string | null;
  /** Older than 90 days and still usable: time to rotate. */
  rotation_due: boolean;
};

export function keyStatus(
  k: Pick<ApiKey, "revokedAt" | "expiresAt" | "replacedBy">,
  now = new Date(),
  creatorRole: Role | null | undefined = undefined,
): ApiKeyStatus {
  if (k.revokedAt) return "revoked";
  if (k.expiresAt && k.expiresAt.getTime() <= now.getTime()) return "expired";
  if (creatorRole === null) return "suspended";
  if (k.replacedBy) return "rotating";
  if (k.expiresAt && k.expiresAt.getTime() - now.getTime() < EXPIRING_SOON_MS) return "expiring_soon";
  return "active";
}

export function toKeyView(k: ApiKeyRow, now = new Date()): ApiKeyView {
  const person = k.createdByUserId
    ? {
        id: k.createdByUserId,
        email: k.createdByUser?.email ?? null,
        role: k.createdByUser?.memberships[0]?.role ?? null,
      }
    : null;
  const status = keyStatus(k, now, person?.role ?? null);
  const suspended = person?.role ? scopesWithinRole(k.scopes, person.role).suspended : [];
  return {
    id: k.id,
    name: k.name,
    environment: k.environment,
    prefix: displayPrefix(k.id, k.environment),
    last4: k.last4,
    scopes: k.scopes,
    suspended_scopes: suspended,
    status,
    agent_id: k.agentId,
    ip_allowlist: k.ipAllowlist,
    rate_limit_per_minute: k.rateLimitPerMinute,
    expires_at: k.expiresAt?.toISOString() ?? null,
    created_at: k.createdAt.toISOString(),
    created_by: k.createdByKeyId
      ? { type: "api_key", id: k.createdByKeyId, on_behalf_of: person }
      : person
        ? { type: "user", ...person }
        : null,
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    last_used_ip: k.lastUsedIp,
    revoked_at: k.revokedAt?.toISOString() ?? null,
    revoke_reason: k.revokeReason,
    replaced_by: k.replacedBy,
    rotation_due:
      (status === "active" || status === "expiring_soon") && now.getTime() - k.createdAt.getTime() > ROTATION_DUE_MS,
  };
}
