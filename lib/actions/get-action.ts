import { withTenantSql } from "../db/sql";
import { withTenant } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { parseOr422 } from "../validation";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { closePendingApprovals } from "./close-pending";
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
      await withTenantSql({ orgId: ctx.org.id }, (sql) =>
        closePendingApprovals(sql, ctx.org.id, { as: "expired", actionId: id }),
      );
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

export type ActionPage = {
  actions: ActionView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null;
};

/**
 * Newest first, in keyset pages over (created_at, id): ties in time neither
 * repeat nor vanish between pages, and rows arriving meanwhile do not shift
 * them. The cursor row is compared in the database, at full precision.
 */
export async function listActions(ctx: OrgContext, rawQuery: unknown): Promise<ActionPage> {
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
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      ...(q.cursor ? { cursor: { orgId_id: { orgId: ctx.org.id, id: q.cursor } }, skip: 1 } : {}),
      take: q.limit + 1,
      include: ACTION_INCLUDE,
    });
    // An unknown (or another organization's) cursor yields no rows: only then ask why.
    if (
      q.cursor &&
      rows.length === 0 &&
      !(await tx.action.findUnique({ where: { orgId_id: { orgId: ctx.org.id, id: q.cursor } }, select: { id: true } }))
    ) {
      throw new AppError("validation_failed", "Unknown cursor", {
        errors: [{ path: "cursor", message: "No such action in this organization" }],
      });
    }
    const page = rows.slice(0, q.limit);
    return { actions: page.map(toActionView), next_cursor: rows.length > q.limit ? page.at(-1)!.id : null };
  });
}
