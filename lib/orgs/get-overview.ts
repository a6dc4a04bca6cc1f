import { withTenant } from "../db/tenant";
import { can, tenantOf, type OrgContext } from "../rbac/context";
import type { Role } from "../rbac/permissions";
import type { ActionStatus } from "../db/generated/client";

export type ActivityItem = {
  seq: number;
  occurred_at: string;
  action: string;
  actor: string;
  target: string | null;
};

export type Overview = {
  org: { name: string; slug: string; created_at: string };
  members: Record<Role, number>;
  audit: { events: number; head_hash: string };
  session_policy: { idle_minutes: number; absolute_hours: number };
  /** Only for roles with audit:read; null otherwise. */
  recent_activity: ActivityItem[] | null;
  /** Actions submitted in the last 24 hours, by current status (actions:read; null otherwise). */
  actions_24h: { total: number; by_status: Partial<Record<ActionStatus, number>> } | null;
  /** Approvals waiting for a decision and not yet past their deadline (approvals:read; null otherwise). */
  pending_approvals: { count: number; next_expires_at: string | null } | null;
  /** agents:read; null otherwise. */
  agents: { total: number; disabled: number } | null;
};

export async function getOverview(ctx: OrgContext): Promise<Overview> {
  return withTenant(tenantOf(ctx), async (tx) => {
    const org = await tx.organization.findUniqueOrThrow({ where: { id: ctx.org.id } });
    const groups = await tx.membership.groupBy({ by: ["role"], where: { orgId: ctx.org.id }, _count: { _all: true } });
    const members: Record<Role, number> = { admin: 0, approver: 0, auditor: 0, viewer: 0 };
    for (const g of groups) members[g.role] = g._count._all;
    const head = await tx.auditHead.findUniqueOrThrow({ where: { orgId: ctx.org.id } });

    let recent: ActivityItem[] | null = null;
    if (can(ctx, "audit:read")) {
      const events = await tx.auditEvent.findMany({
        where: { orgId: ctx.org.id },
        orderBy: { seq: "desc" },
        take: 10,
      });
      const userIds = [...new Set(events.filter((e) => e.actorType === "user" && e.actorId).map((e) => e.actorId!))];
      const users = await tx.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true } });
      const emails = new Map(users.map((u) => [u.id, u.email]));
      recent = events.map((e) => ({
        seq: Number(e.seq),
        occurred_at: e.occurredAt.toISOString(),
        action: e.action,
        actor:
          e.actorType === "user"
            ? (emails.get(e.actorId ?? "") ?? `user ${e.actorId?.slice(0, 8)}`)
            : e.actorType === "system"
              ? "system"
              : `${e.actorType} ${e.actorId ?? ""}`.trim(),
        target: e.targetType ? `${e.targetType}${e.targetId ? ` ${e.targetId.slice(0, 8)}` : ""}` : null,
      }));
    }

    let actions24h: Overview["actions_24h"] = null;
    if (can(ctx, "actions:read")) {
      const since = new Date(Date.now() - 24 * 60 * 60 * 1000);
      const byStatus = await tx.action.groupBy({
        by: ["status"],
        where: { orgId: ctx.org.id, createdAt: { gte: since } },
        _count: { _all: true },
      });
      const by_status: Partial<Record<ActionStatus, number>> = {};
      for (const g of byStatus) by_status[g.status] = g._count._all;
      actions24h = { total: byStatus.reduce((n, g) => n + g._count._all, 0), by_status };
    }

    let pending: Overview["pending_approvals"] = null;
    if (can(ctx, "approvals:read")) {
      // An approval past its deadline is expired by the sweeper shortly; it no longer waits on anyone.
      const where = { orgId: ctx.org.id, status: "pending" as const, expiresAt: { gt: new Date() } };
      const count = await tx.approval.count({ where });
      const next = await tx.approval.findFirst({ where, orderBy: { expiresAt: "asc" }, select: { expiresAt: true } });
      pending = { count, next_expires_at: next?.expiresAt.toISOString() ?? null };
    }

    let agents: Overview["agents"] = null;
    if (can(ctx, "agents:read")) {
      const total = await tx.agent.count({ where: { orgId: ctx.org.id } });
      const disabled = await tx.agent.count({ where: { orgId: ctx.org.id, disabledAt: { not: null } } });
      agents = { total, disabled };
    }

    return {
      org: { name: org.name, slug: org.slug, created_at: org.createdAt.toISOString() },
      members,
      audit: { events: Number(head.seq), head_hash: head.hash },
      session_policy: {
        idle_minutes: Math.round(org.sessionIdleTimeoutSeconds / 60),
        absolute_hours: Math.round((org.sessionAbsoluteTimeoutSeconds / 3600) * 10) / 10,
      },
      recent_activity: recent,
      actions_24h: actions24h,
      pending_approvals: pending,
      agents,
    };
  });
}
