import { appendAuditEvent } from "../audit/append-event";
import { withTenant } from "../db/tenant";
import { notFound } from "../errors";
import { revokeKeysActingFor } from "../keys/revoke-api-key";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { assertAnotherAdminRemains } from "./admins";

/**
 * Removes a membership. The person's account and sessions remain (they may
 * belong to other organizations); their access to this one ends on their next
 * request, because every request re-checks membership. The API keys that act
 * for them are revoked in the same transaction (the key verifier would refuse
 * them anyway; revoking makes that visible and permanent).
 */
export async function removeMember(ctx: OrgContext, userId: string): Promise<{ revoked_api_keys: string[] }> {
  assertCan(ctx, "members:write");
  return withTenant(tenantOf(ctx), async (tx) => {
    const member = await tx.membership.findUnique({
      where: { orgId_userId: { orgId: ctx.org.id, userId } },
      include: { user: { select: { email: true } } },
    });
    if (!member) throw notFound("Member");
    if (member.role === "admin") await assertAnotherAdminRemains(tx, ctx.org.id, userId);
    await tx.membership.delete({ where: { orgId_userId: { orgId: ctx.org.id, userId } } });
    await tx.invitation.updateMany({
      where: { orgId: ctx.org.id, userId, acceptedAt: null, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "member.removed",
      target: { type: "user", id: userId },
      ip: ctx.ip,
      data: { email: member.user.email, role: member.role },
    });
    const revoked = await revokeKeysActingFor(
      tx,
      ctx,
      userId,
      `its creator ${member.user.email} was removed from the organization`,
    );
    return { revoked_api_keys: revoked };
  });
}
