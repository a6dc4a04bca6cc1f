import { appendAuditEvent } from "../audit/append-event";
import { withTenant } from "../db/tenant";
import { log } from "../log";
import type { VerifiedKey } from "../rbac/context";

/**
 * Records when and from where a key was last used. Written at most once a
 * minute per key (or when the address changes), off the request's critical
 * path: a failure here is logged and never fails the request.
 *
 * Addresses are remembered per key (api_key_addresses); the first use from an
 * address the key never used before is an audit event, api_key.new_address
 * (not for the key's very first address), once per key and address however
 * many requests race.
 */
export function touchApiKey(key: VerifiedKey, ip: string | null, now = Date.now()): void {
  const fresh = key.lastUsedAt && now - key.lastUsedAt.getTime() < 60_000 && key.lastUsedIp === ip;
  if (fresh) return;
  void withTenant({ orgId: key.orgId }, async (tx) => {
    await tx.$executeRaw`
      UPDATE api_keys SET last_used_at = now(), last_used_ip = ${ip}
      WHERE id = ${key.id}::uuid
        AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds' OR last_used_ip IS DISTINCT FROM ${ip})`;
    if (ip === null || key.lastUsedIp === ip) return;
    const known = [key.lastUsedIp, ip].filter((x): x is string => x !== null).map((x) => x.slice(0, 64));
    const inserted = await tx.$queryRaw<{ ip: string }[]>`
      INSERT INTO api_key_addresses (org_id, key_id, ip)
      SELECT ${key.orgId}::uuid, ${key.id}::uuid, x FROM unnest(${known}::text[]) AS x
      ON CONFLICT DO NOTHING RETURNING ip`;
    if (!inserted.some((r) => r.ip === ip.slice(0, 64))) return;
    const counted = await tx.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM api_key_addresses WHERE org_id = ${key.orgId}::uuid AND key_id = ${key.id}::uuid`;
    const n = counted[0]?.n ?? 0;
    if (n <= 1) return; // the key's first address teaches, it does not alarm
    await appendAuditEvent(tx, {
      orgId: key.orgId,
      actor: { type: "api_key", id: key.id },
      action: "api_key.new_address",
      target: { type: "api_key", id: key.id },
      ip,
      data: { known_addresses: n - 1, created_by_user_id: key.createdByUserId },
    });
  }).catch((e: unknown) => log().warn({ err: e, keyId: key.id }, "could not record API key use"));
}
