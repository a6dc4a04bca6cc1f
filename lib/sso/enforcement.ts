import { z } from "zod";
import { appendAuditEvent } from "../audit/append-event";
import { withTenant } from "../db/tenant";
import { AppError, conflict } from "../errors";
import { actorOf, assertCan, tenantOf, userIdOf, type OrgContext } from "../rbac/context";
import { parseOr422 } from "../validation";

/**
 * SSO-only sign-in for an organization. Turning it on needs an enabled
 * connection and a successful test sign-in, of its current settings, that the
 * enforcing admin ran as themself (the IdP answered with their own e-mail)
 * within the last day: whoever locks password sign-in out has just proved SSO
 * lets them back in. Admins keep a way in: a recovery code (break-glass).
 */
export const enforcementSchema = z.strictObject({ enabled: z.boolean() });

export type Enforcement = {
  enabled: boolean;
  enabled_at: string | null;
  enabled_by: string | null;
  /** Why it cannot be turned on by this caller now (null: it can). */
  blocked_by: string | null;
};

const TEST_MAX_AGE_MS = 24 * 3600_000;

export async function getEnforcement(ctx: OrgContext): Promise<Enforcement> {
  assertCan(ctx, "org:admin");
  return withTenant(tenantOf(ctx), async (tx) => {
    const org = await tx.organization.findUniqueOrThrow({ where: { id: ctx.org.id } });
    return {
      enabled: org.ssoEnforced,
      enabled_at: org.ssoEnforcedAt?.toISOString() ?? null,
      enabled_by: org.ssoEnforcedBy,
      blocked_by: org.ssoEnforced ? null : await blocker(tx, ctx),
    };
  });
}

async function blocker(tx: Parameters<Parameters<typeof withTenant>[1]>[0], ctx: OrgContext): Promise<string | null> {
  const userId = userIdOf(ctx);
  if (!userId) return "Only a signed-in admin can turn on SSO-only sign-in";
  const c = await tx.ssoConnection.findFirst({ where: { enabled: true } });
  if (!c) return "Enable an SSO connection first";
  const me = await tx.user.findUnique({ where: { id: userId }, select: { email: true } });
  const test = c.lastTest as { ok?: boolean; email?: string | null } | null;
  const fresh = c.testedAt !== null && Date.now() - c.testedAt.getTime() < TEST_MAX_AGE_MS;
  if (
    c.testedBy !== userId ||
    !fresh ||
    test?.ok !== true ||
    c.testedVersion !== c.configVersion ||
    !me ||
    test.email !== me.email
  ) {
    return `Run a test sign-in of “${c.name}” yourself, as ${me?.email ?? "yourself"}, first (within the last 24 hours)`;
  }
  return null;
}

export async function setEnforcement(ctx: OrgContext, input: unknown): Promise<Enforcement> {
  assertCan(ctx, "org:admin");
  const { enabled } = parseOr422(enforcementSchema, input);
  return withTenant(tenantOf(ctx), async (tx) => {
    const org = await tx.organization.findUniqueOrThrow({ where: { id: ctx.org.id } });
    if (org.ssoEnforced === enabled) {
      return {
        enabled,
        enabled_at: org.ssoEnforcedAt?.toISOString() ?? null,
        enabled_by: org.ssoEnforcedBy,
        blocked_by: null,
      };
    }
    if (enabled) {
      const why = await blocker(tx, ctx);
      if (why) throw conflict(why);
    }
    const updated = await tx.organization.update({
      where: { id: ctx.org.id },
      data: {
        ssoEnforced: enabled,
        ssoEnforcedAt: enabled ? new Date() : null,
        ssoEnforcedBy: enabled ? userIdOf(ctx) : null,
        updatedAt: new Date(),
      },
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: enabled ? "sso.enforcement_enabled" : "sso.enforcement_disabled",
      target: { type: "organization", id: ctx.org.id },
      ip: ctx.ip,
      data: {},
    });
    return {
      enabled: updated.ssoEnforced,
      enabled_at: updated.ssoEnforcedAt?.toISOString() ?? null,
      enabled_by: updated.ssoEnforcedBy,
      blocked_by: null,
    };
  });
}

export function assertNotEnforced(enforced: boolean): void {
  if (enforced) {
    throw new AppError(
      "conflict",
      "SSO-only sign-in is on: turn it off before disabling the connection people sign in with",
    );
  }
}
