import { withTenant } from "../db/tenant";
import { assertCan, tenantOf, userIdOf, type OrgContext } from "../rbac/context";

/**
 * A member's in-app inbox in one organization (the bell). Only people have
 * one; each sees only their own notifications.
 */
export type NotificationView = {
  id: string;
  firing_id: string | null;
  severity: "info" | "warning" | "critical";
  title: string;
  body: string;
  created_at: string;
  read_at: string | null;
};

export type Inbox = { unread: number; pending_approvals: number | null; items: NotificationView[] };

export async function getInbox(ctx: OrgContext, opts: { limit?: number } = {}): Promise<Inbox> {
  assertCan(ctx, "dashboard:read");
  const userId = userIdOf(ctx);
  if (!userId) return { unread: 0, pending_approvals: null, items: [] };
  const canApprove = ctx.permissions.has("approvals:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    const items = await tx.$queryRaw<
      (Omit<NotificationView, "created_at" | "read_at"> & { created_at: Date; read_at: Date | null })[]
    >`
        SELECT id::text, firing_id::text, severity, title, body, created_at, read_at FROM notifications
        WHERE org_id = ${ctx.org.id}::uuid AND user_id = ${userId}::uuid
        ORDER BY created_at DESC, id LIMIT ${opts.limit ?? 20}`;
    const counts = await tx.$queryRaw<{ unread: number; pending: number }[]>`
        SELECT (SELECT count(*)::int FROM notifications
                WHERE org_id = ${ctx.org.id}::uuid AND user_id = ${userId}::uuid AND read_at IS NULL) AS unread,
               (SELECT count(*)::int FROM approvals
                WHERE org_id = ${ctx.org.id}::uuid AND status = 'pending' AND expires_at > now())
             + (SELECT count(*)::int FROM audit_export_requests
                WHERE org_id = ${ctx.org.id}::uuid AND status = 'pending_approval' AND approval_expires_at > now()) AS pending`;
    return {
      unread: counts[0]!.unread,
      pending_approvals: canApprove ? counts[0]!.pending : null,
      items: items.map((i) => ({
        ...i,
        created_at: i.created_at.toISOString(),
        read_at: i.read_at?.toISOString() ?? null,
      })),
    };
  });
}

/** Marks one notification (or, without an id, all of them) read. */
export async function markRead(ctx: OrgContext, id: string | null): Promise<{ unread: number }> {
  assertCan(ctx, "dashboard:read");
  const userId = userIdOf(ctx);
  if (!userId) return { unread: 0 };
  return withTenant(tenantOf(ctx), async (tx) => {
    await tx.$executeRaw`
      UPDATE notifications SET read_at = now()
      WHERE org_id = ${ctx.org.id}::uuid AND user_id = ${userId}::uuid AND read_at IS NULL
        AND (${id}::uuid IS NULL OR id = ${id}::uuid)`;
    const r = await tx.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM notifications
      WHERE org_id = ${ctx.org.id}::uuid AND user_id = ${userId}::uuid AND read_at IS NULL`;
    return { unread: r[0]!.n };
  });
}
