import type { ApiKey } from "../db/generated/client";
import { displayPrefix } from "./format";

export const EXPIRING_SOON_MS = 7 * 24 * 60 * 60 * 1000;
export const ROTATION_DUE_MS = 90 * 24 * 60 * 60 * 1000;

export type ApiKeyStatus = "active" | "expiring_soon" | "expired" | "revoked" | "rotating";

export type ApiKeyView = {
  id: string;
  name: string;
  environment: "live" | "test";
  prefix: string;
  last4: string;
  scopes: string[];
  status: ApiKeyStatus;
  agent_id: string | null;
  ip_allowlist: string[];
  rate_limit_per_minute: number | null;
  expires_at: string | null;
  created_at: string;
  created_by: { type: "user" | "api_key"; id: string; email?: string } | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  revoked_at: string | null;
  revoke_reason: string | null;
  replaced_by: string | null;
  /** Older than 90 days and still usable: time to rotate. */
  rotation_due: boolean;
};

export function keyStatus(k: Pick<ApiKey, "revokedAt" | "expiresAt" | "replacedBy">, now = new Date()): ApiKeyStatus {
  if (k.revokedAt) return "revoked";
  if (k.expiresAt && k.expiresAt.getTime() <= now.getTime()) return "expired";
  if (k.replacedBy) return "rotating";
  if (k.expiresAt && k.expiresAt.getTime() - now.getTime() < EXPIRING_SOON_MS) return "expiring_soon";
  return "active";
}

export function toKeyView(k: ApiKey, creatorEmail?: string, now = new Date()): ApiKeyView {
  const status = keyStatus(k, now);
  return {
    id: k.id,
    name: k.name,
    environment: k.environment,
    prefix: displayPrefix(k.id, k.environment),
    last4: k.last4,
    scopes: k.scopes,
    status,
    agent_id: k.agentId,
    ip_allowlist: k.ipAllowlist,
    rate_limit_per_minute: k.rateLimitPerMinute,
    expires_at: k.expiresAt?.toISOString() ?? null,
    created_at: k.createdAt.toISOString(),
    created_by: k.createdByUserId
      ? { type: "user", id: k.createdByUserId, ...(creatorEmail ? { email: creatorEmail } : {}) }
      : k.createdByKeyId
        ? { type: "api_key", id: k.createdByKeyId }
        : null,
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    last_used_ip: k.lastUsedIp,
    revoked_at: k.revokedAt?.toISOString() ?? null,
    revoke_reason: k.revokeReason,
    replaced_by: k.replacedBy,
    rotation_due: (status === "active" || status === "expiring_soon") && now.getTime() - k.createdAt.getTime() > ROTATION_DUE_MS,
  };
}
