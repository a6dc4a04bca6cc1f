import { appendAuditEvent } from "../audit/append-event";
import { withTenant } from "../db/tenant";
import { notFound } from "../errors";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import type { Role } from "../rbac/permissions";

export type RoleRequestView = {
  user_id: string;
  email: string;
  name: string;
  current_role: Role;
  requested_role: Role;
  groups: string[];
  connection_id: string;
  created_at: string;
};

/** Roles the IdP's groups map to that JIT does not grant alone (admin, approver), waiting for an admin. */
export async function listRoleRequests(ctx: OrgContext): Promise<RoleRequestView[]> {
  assertCan(ctx, "members:write");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.ssoRoleRequest.findMany({ orderBy: { createdAt: "asc" } });
    const members = await tx.membership.findMany({
      where: { userId: { in: rows.map((r) => r.userId) } },
      include: { user: { select: { email: true, name: true } } },
    });
    const byUser = new Map(members.map((m) => [m.userId, m]));
    return rows.flatMap((r) => {
      const m = byUser.get(r.userId);
      if (!m) return [];
      return [
        {
          user_id: r.userId,
          email: m.user.email,
          name: m.user.name,
          current_role: m.role,
          requested_role: r.role,
          groups: r.groups,
          connection_id: r.connectionId,
          created_at: r.createdAt.toISOString(),
        },
      ];
    });
  });
}

export async function decideRoleRequest(
  ctx: OrgContext,
  userId: string,
  decision: "approve" | "reject",
): Promise<{ role: Role }> {
  assertCan(ctx, "members:write");
  return withTenant(tenantOf(ctx), async (tx) => {
    const request = await tx.ssoRoleRequest.findUnique({ where: { orgId_userId: { orgId: ctx.org.id, userId } } });
    if (!request) throw notFound("Role request");
    const member = await tx.membership.findUnique({
      where: { orgId_userId: { orgId: ctx.org.id, userId } },
      include: { user: { select: { email: true } } },
    });
    if (!member) throw notFound("Role request");
    await tx.ssoRoleRequest.delete({ where: { orgId_userId: { orgId: ctx.org.id, userId } } });
    let role = member.role;
    if (decision === "approve" && member.role !== request.role) {
      await tx.membership.update({ where: { id: member.id }, data: { role: request.role, updatedAt: new Date() } });
      await appendAuditEvent(tx, {
        orgId: ctx.org.id,
        actor: actorOf(ctx),
        action: "member.role_changed",
        target: { type: "user", id: userId },
        ip: ctx.ip,
        data: { email: member.user.email, from: member.role, to: request.role, via: "sso_role_request" },
      });
      role = request.role;
    }
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: decision === "approve" ? "sso.role_request_approved" : "sso.role_request_rejected",
      target: { type: "user", id: userId },
      ip: ctx.ip,
      data: { email: member.user.email, role: request.role, groups: request.groups },
    });
    return { role };
  });
}
