import { appendAuditEvent } from "../audit/append-event";
import { withTenant } from "../db/tenant";
import { notFound } from "../errors";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";

/** An admin confirms a key suspended (or throttled) by an alert response may be used again. */
export async function reinstateApiKey(ctx: OrgContext, id: string): Promise<{ id: string; reinstated: boolean }> {
  assertCan(ctx, "keys:write");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.$queryRaw<{ suspended: boolean; throttled: boolean }[]>`
      SELECT suspended_at IS NOT NULL AS suspended, throttled_until > now() AS throttled
      FROM api_keys WHERE org_id = ${ctx.org.id}::uuid AND id = ${id}::uuid FOR UPDATE`;
    const k = rows[0];
    if (!k) throw notFound("API key");
    if (!k.suspended && !k.throttled) return { id, reinstated: false };
    await tx.$executeRaw`
      UPDATE api_keys SET suspended_at = NULL, suspend_reason = NULL, throttle_per_minute = NULL, throttled_until = NULL
      WHERE org_id = ${ctx.org.id}::uuid AND id = ${id}::uuid`;
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "api_key.reinstated",
      target: { type: "api_key", id },
      ip: ctx.ip,
      data: { was_suspended: k.suspended, was_throttled: k.throttled ?? false },
    });
    return { id, reinstated: true };
  });
}
