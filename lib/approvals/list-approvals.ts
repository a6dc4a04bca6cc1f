import { withTenant } from "../db/tenant";
import { parseOr422 } from "../http/zod";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { toActionView, ACTION_INCLUDE, type ActionView } from "../actions/view";
import { listApprovalsQuerySchema } from "./schemas";

export type ApprovalQueueItem = {
  id: string;
  status: string;
  required: number;
  approvals: number;
  expires_at: string;
  created_at: string;
  /** The creator of the agent's key may not decide (separation of duties). */
  you_may_decide: boolean;
  you_decided: boolean;
  action: ActionView;
};

export async function listApprovals(ctx: OrgContext, rawQuery: unknown): Promise<ApprovalQueueItem[]> {
  assertCan(ctx, "approvals:read");
  const q = parseOr422(listApprovalsQuerySchema, rawQuery, "query string");
  const me = ctx.principal.kind === "user" ? ctx.principal.user.userId : null;
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.approval.findMany({
      where: { orgId: ctx.org.id, ...(q.status === "all" ? {} : { status: q.status }) },
      orderBy: q.status === "pending" ? { expiresAt: "asc" } : { createdAt: "desc" },
      take: q.limit,
      include: { action: { include: { ...ACTION_INCLUDE, apiKey: { select: { createdByUserId: true } } } } },
    });
    const now = Date.now();
    return rows.map((r) => {
      const view = toActionView(r.action);
      const decided = view.approval?.decisions.some((d) => d.approver_id === me) ?? false;
      const live = r.status === "pending" && r.expiresAt.getTime() > now;
      return {
        id: r.id,
        status: r.status === "pending" && !live ? "expired" : r.status,
        required: r.approvalsRequired,
        approvals: view.approval?.approvals ?? 0,
        expires_at: r.expiresAt.toISOString(),
        created_at: r.createdAt.toISOString(),
        you_may_decide: live && me !== null && r.action.apiKey.createdByUserId !== me && !decided && ctx.permissions.has("approvals:decide"),
        you_decided: decided,
        action: view,
      };
    });
  });
}
