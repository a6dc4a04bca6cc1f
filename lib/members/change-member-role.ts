import { appendAuditEvent } from "../audit/append-event";
import { withTenant } from "../db/tenant";
import { notFound } from "../errors";
import { parseOr422 } from "../validation";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import type { Role } from "../rbac/permissions";
import { assertAnotherAdminRemains } from "./admins";
import { changeRoleSchema } from "./schemas";

export async function changeMemberRole(
  ctx: OrgContext,
  userId: string,
  input: unknown,
): Promise<{ user_id: string; role: Role }> {
  assertCan(ctx, "members:write");
  const { role } = parseOr422(changeRoleSchema, input);
  return withTenant(tenantOf(ctx), async (tx) => {
    const member = await tx.membership.findUnique({
      where: { orgId_userId: { orgId: ctx.org.id, userId } },
      include: { user: { select: { email: true } } },
    });
    if (!member) throw notFound("Member");
    if (member.role === role) return { user_id: userId, role };
    if (member.role === "admin") await assertAnotherAdminRemains(tx, ctx.org.id, userId);
    await tx.membership.update({
      where: { orgId_userId: { orgId: ctx.org.id, userId } },
      data: { role, updatedAt: new Date() },
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "member.role_changed",
      target: { type: "user", id: userId },
      ip: ctx.ip,
      data: { email: member.user.email, from: member.role, to: role },
    });
    return { user_id: userId, role };
  });
}
