import { appendAuditEvent } from "../audit/append-event";
import { requireOrgStepUp } from "../auth/step-up";
import { withTenant } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { parseOr422 } from "../validation";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { assertScopesWithin, insertApiKey, type CreatedKey } from "./create-api-key";
import { rotateApiKeySchema } from "./schemas";
import { keyStatus, keyViewInclude, toKeyView, type ApiKeyView } from "./view";

/**
 * Issues a replacement at once; the old key keeps working until the grace
 * period ends (0 = it stops now). The new key keeps the old one's settings and
 * its lifetime (same duration from now), and the caller must hold its scopes.
 * A replacement is a new key: a person with a second factor steps up for it
 * (keys.create), as for creating one.
 */
export async function rotateApiKey(
  ctx: OrgContext,
  id: string,
  raw: unknown,
  stepUpId: string | null,
): Promise<CreatedKey & { previous: ApiKeyView }> {
  assertCan(ctx, "keys:write");
  const { grace_period_seconds: grace } = parseOr422(rotateApiKeySchema, raw);
  return withTenant(tenantOf(ctx), async (tx) => {
    const stepUp = await requireOrgStepUp(tx, ctx, stepUpId, "keys.create");
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM api_keys WHERE id = ${id}::uuid FOR UPDATE`;
    if (locked.length === 0) throw notFound("API key");
    const old = await tx.apiKey.findUniqueOrThrow({ where: { id } });
    const status = keyStatus(old);
    if (status === "revoked" || status === "expired")
      throw new AppError("conflict", `A ${status} key cannot be rotated`);
    if (status === "rotating")
      throw new AppError("conflict", "This key has already been rotated; rotate its replacement instead");
    assertScopesWithin(ctx, old.scopes);

    const now = Date.now();
    const lifetime = old.expiresAt ? old.expiresAt.getTime() - old.createdAt.getTime() : null;
    const created = await insertApiKey(tx, ctx, {
      name: old.name,
      environment: old.environment,
      scopes: old.scopes as never,
      expires_at: lifetime ? new Date(now + lifetime) : null,
      ip_allowlist: old.ipAllowlist,
      rate_limit_per_minute: old.rateLimitPerMinute,
      agent_id: old.agentId,
    });
    const graceEnd = new Date(now + grace * 1000);
    const oldExpiry = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
    const previous = await tx.apiKey.update({
      where: { id },
      data:
        grace === 0
          ? { replacedBy: created.key.id, rotatedAt: new Date(now), revokedAt: new Date(now), revokeReason: "rotated" }
          : { replacedBy: created.key.id, rotatedAt: new Date(now), expiresAt: oldExpiry },
      include: keyViewInclude(ctx.org.id),
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "api_key.rotated",
      target: { type: "api_key", id },
      ip: ctx.ip,
      data: {
        name: old.name,
        replacement_id: created.key.id,
        replacement_prefix: created.key.prefix,
        grace_period_seconds: grace,
        old_key_stops_at: grace === 0 ? new Date(now).toISOString() : oldExpiry.toISOString(),
        step_up: stepUp?.method ?? null,
      },
    });
    return { ...created, previous: toKeyView(previous) };
  });
}
