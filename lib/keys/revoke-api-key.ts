import { appendAuditEvent } from "../audit/append-event";
import { withTenant } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { toKeyView, type ApiKeyView } from "./view";

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
