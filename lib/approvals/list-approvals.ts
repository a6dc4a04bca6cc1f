import { withTenant } from "../db/tenant";
import { parseOr422 } from "../validation";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { toActionView, ACTION_INCLUDE, type ActionView } from "../actions/view";
import type { Approval } from "../db/generated/client";
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
  /** You created the API key the agent used: the reason you_may_decide is false (separation of duties). */
  you_created_key: boolean;
  action: ActionView;
};

const INCLUDE = { action: { include: { ...ACTION_INCLUDE, apiKey: { select: { createdByUserId: true } } } } } as const;

type Row = Approval & { action: Parameters<typeof toActionView>[0] & { apiKey: { createdByUserId: string | null } } };

function toQueueItem(ctx: OrgContext, r: Row, now = Date.now()): ApprovalQueueItem {
  const me = ctx.principal.kind === "user" ? ctx.principal.user.userId : null;
  const view = toActionView(r.action);
  const decided = view.approval?.decisions.some((d) => d.approver_id === me) ?? false;
  const live = r.status === "pending" && r.expiresAt.getTime() > now;
  const createdKey = me !== null && r.action.apiKey.createdByUserId === me;
  return {
    id: r.id,
    status: r.status === "pending" && !live ? "expired" : r.status,
    required: r.approvalsRequired,
    approvals: view.approval?.approvals ?? 0,
    expires_at: r.expiresAt.toISOString(),
    created_at: r.createdAt.toISOString(),
    you_may_decide: live && me !== null && !createdKey && !decided && ctx.permissions.has("approvals:decide"),
    you_decided: decided,
    you_created_key: createdKey,
    action: view,
  };
}

export async function listApprovals(ctx: OrgContext, rawQuery: unknown): Promise<ApprovalQueueItem[]> {
  assertCan(ctx, "approvals:read");
  const q = parseOr422(listApprovalsQuerySchema, rawQuery, "query string");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.approval.findMany({
      where: { orgId: ctx.org.id, ...(q.status === "all" ? {} : { status: q.status }) },
      orderBy: q.status === "pending" ? { expiresAt: "asc" } : { createdAt: "desc" },
      take: q.limit,
      include: INCLUDE,
    });
    const now = Date.now();
    return rows.map((r) => toQueueItem(ctx, r, now));
  });
}

/**
 * The approval of one action as the approval queue shows it (null when the
 * action needed none), so the action's page can offer the same decision with
 * the same separation-of-duties answer.
 */
export async function getApprovalForAction(ctx: OrgContext, actionId: string): Promise<ApprovalQueueItem | null> {
  assertCan(ctx, "approvals:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    const row = await tx.approval.findFirst({ where: { orgId: ctx.org.id, actionId }, include: INCLUDE });
    return row ? toQueueItem(ctx, row) : null;
  });
}
