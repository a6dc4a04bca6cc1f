import { withTenantSql } from "../db/sql";
import { withTenant } from "../db/tenant";
import { notFound } from "../errors";
import { parseOr422 } from "../http/zod";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { expireDueApprovals } from "../approvals/expire";
import { waitForActionChange } from "./notify";
import { getActionQuerySchema, listActionsQuerySchema } from "./schemas";
import { ACTION_INCLUDE, toActionView, type ActionView } from "./view";

/** A key bound to an agent sees that agent's actions only; people see all of the organization's. */
function agentFilter(ctx: OrgContext): { agentId?: string } {
  return ctx.principal.kind === "api_key" && ctx.principal.key.agent ? { agentId: ctx.principal.key.agent.id } : {};
}

async function readAction(ctx: OrgContext, id: string): Promise<ActionView> {
  const row = await withTenant(tenantOf(ctx), (tx) =>
    tx.action.findFirst({ where: { id, orgId: ctx.org.id, ...agentFilter(ctx) }, include: ACTION_INCLUDE }),
  );
  if (!row) throw notFound("Action");
  return toActionView(row);
}

/**
 * The action's current state. With `wait` (≤ 30 s), a pending action is held
 * until it is decided (approved, rejected, expired, cancelled) or the time is
 * up; an approval past its deadline is expired on the spot.
 */
export async function getAction(ctx: OrgContext, id: string, rawQuery: unknown = {}): Promise<ActionView> {
  assertCan(ctx, "actions:read");
  const { wait } = parseOr422(getActionQuerySchema, rawQuery, "query string");
  const deadline = Date.now() + wait * 1000;
  let view = await readAction(ctx, id);
  for (;;) {
    if (view.status === "pending" && view.approval && new Date(view.approval.expires_at).getTime() <= Date.now()) {
      await withTenantSql({ orgId: ctx.org.id }, (sql) => expireDueApprovals(sql, ctx.org.id, id));
      view = await readAction(ctx, id);
    }
    const remaining = deadline - Date.now();
    if (view.status !== "pending" || remaining <= 0) return view;
    const untilExpiry = view.approval ? new Date(view.approval.expires_at).getTime() - Date.now() : remaining;
    // Re-read at least every 5 s in case a notification was missed.
    await waitForActionChange(id, Math.max(50, Math.min(remaining, untilExpiry + 50, 5000)));
    view = await readAction(ctx, id);
  }
}

export async function listActions(ctx: OrgContext, rawQuery: unknown): Promise<ActionView[]> {
  assertCan(ctx, "actions:read");
  const q = parseOr422(listActionsQuerySchema, rawQuery, "query string");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.action.findMany({
      where: {
        orgId: ctx.org.id,
        ...agentFilter(ctx),
        ...(q.status ? { status: q.status } : {}),
        ...(q.agent ? { agent: { slug: q.agent } } : {}),
        ...(q.before ? { createdAt: { lt: new Date(q.before) } } : {}),
      },
      orderBy: { createdAt: "desc" },
      take: q.limit,
      include: ACTION_INCLUDE,
    });
    return rows.map(toActionView);
  });
}
