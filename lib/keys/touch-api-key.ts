import { withTenant } from "../db/tenant";
import { log } from "../log";
import type { VerifiedKey } from "../rbac/context";

/**
 * Records when and from where a key was last used. Written at most once a
 * minute per key (or when the address changes), off the request's critical
 * path: a failure here is logged and never fails the request.
 */
export function touchApiKey(key: VerifiedKey, ip: string | null, now = Date.now()): void {
  const fresh = key.lastUsedAt && now - key.lastUsedAt.getTime() < 60_000 && key.lastUsedIp === ip;
  if (fresh) return;
  void withTenant(
    { orgId: key.orgId },
    (tx) =>
      tx.$executeRaw`
      UPDATE api_keys SET last_used_at = now(), last_used_ip = ${ip}
      WHERE id = ${key.id}::uuid
        AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds' OR last_used_ip IS DISTINCT FROM ${ip})`,
  ).catch((e: unknown) => log().warn({ err: e, keyId: key.id }, "could not record API key use"));
}
