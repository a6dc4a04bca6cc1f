import { appendAuditEvent } from "../audit/append-event";
import { withTenant, type Tx } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { keyViewInclude, toKeyView, type ApiKeyView } from "./view";

export async function revokeApiKey(ctx: OrgContext, id: string, reason?: string): Promise<ApiKeyView> {
  assertCan(ctx, "keys:write");
  return withTenant(tenantOf(ctx), async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM api_keys WHERE id = ${id}::uuid FOR UPDATE`;
    if (locked.length === 0) throw notFound("API key");
    const key = await tx.apiKey.findUniqueOrThrow({ where: { id } });
    if (key.revokedAt) throw new AppError("conflict", "This API key is already revoked");
    const updated = await tx.apiKey.update({
      where: { id },
      data: { revokedAt: new Date(), revokeReason: reason?.trim() || "revoked" },
      include: keyViewInclude(ctx.org.id),
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "api_key.revoked",
      target: { type: "api_key", id },
      ip: ctx.ip,
      data: { name: key.name, reason: updated.revokeReason },
    });
    return toKeyView(updated);
  });
}

/**
 * Inside the caller's transaction: revokes every usable key that acts for this
 * person (made by them, or by one of their keys), each an audit event. Used
 * when they leave the organization, so no key outlives its creator's access.
 */
export async function revokeKeysActingFor(tx: Tx, ctx: OrgContext, userId: string, reason: string): Promise<string[]> {
  const now = new Date();
  const keys = await tx.$queryRaw<{ id: string; name: string }[]>`
    UPDATE api_keys SET revoked_at = ${now}, revoke_reason = ${reason}
    WHERE org_id = ${ctx.org.id}::uuid AND created_by_user_id = ${userId}::uuid
      AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${now})
    RETURNING id, name`;
  for (const k of keys) {
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "api_key.revoked",
      target: { type: "api_key", id: k.id },
      ip: ctx.ip,
      data: { name: k.name, reason, acted_for: userId },
    });
  }
  return keys.map((k) => k.id);
}
