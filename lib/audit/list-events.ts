import { isUuid } from "../db/scope";
import { withTenant, type Tx } from "../db/tenant";
import type { Prisma } from "../db/generated/client";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import type { HashedEvent } from "./event";
import { chainedEventOf } from "./event-row";
import type { ListEventsQuery } from "./schemas";

/** An event as the explorer lists it: the hashed content plus its place in the chain. */
export type AuditEventView = {
  seq: number;
  hash: string;
  prev_hash: string;
  event: HashedEvent;
  /** Who the actor is, when this organization can still see them (a member's email, a key's name). */
  actor_label: string | null;
  /** The HTTP request that wrote it (its problem+json request_id / X-Request-Id); not part of the hash. */
  request_id: string | null;
};

export type AuditEventPage = { events: AuditEventView[]; next_cursor: string | null };

type Filters = Omit<ListEventsQuery, "cursor" | "limit">;

export function eventFilterWhere(orgId: string, q: Filters): Prisma.AuditEventWhereInput {
  const where: Prisma.AuditEventWhereInput = { orgId };
  if (q.actor) where.actorId = q.actor;
  if (q.actor_type) where.actorType = q.actor_type;
  if (q.action) where.action = q.action.endsWith(".*") ? { startsWith: q.action.slice(0, -1) } : q.action;
  if (q.target_type) where.targetType = q.target_type;
  if (q.target_id) where.targetId = q.target_id;
  if (q.request_id) where.requestId = q.request_id;
  if (q.from || q.to) where.occurredAt = { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lt: q.to } : {}) };
  return where;
}

/**
 * Names for actor ids: members' emails and API keys' names. Row-level security
 * shows only this organization's keys and members, so a former member stays
 * an id.
 */
export async function actorLabels(tx: Tx, orgId: string, events: readonly HashedEvent[]): Promise<Map<string, string>> {
  const userIds = [
    ...new Set(events.filter((e) => e.actor.type === "user" && isUuid(e.actor.id)).map((e) => e.actor.id!)),
  ];
  const keyIds = [
    ...new Set(events.filter((e) => e.actor.type === "api_key" && isUuid(e.actor.id)).map((e) => e.actor.id!)),
  ];
  const [users, keys] = await Promise.all([
    userIds.length ? tx.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true } }) : [],
    keyIds.length ? tx.apiKey.findMany({ where: { orgId, id: { in: keyIds } }, select: { id: true, name: true } }) : [],
  ]);
  return new Map([
    ...users.map((u) => [u.id, u.email] as const),
    ...keys.map((k) => [k.id, `key “${k.name}”`] as const),
  ]);
}

/**
 * GET /api/v1/audit/events: the organization's audit trail, newest first,
 * filtered by actor, event type (exact, or a prefix such as `member.*`),
 * target and time range [from, to), a page at a time. The cursor is the seq
 * to continue below, so pages stay stable while new events arrive.
 */
export async function listAuditEvents(ctx: OrgContext, query: ListEventsQuery): Promise<AuditEventPage> {
  assertCan(ctx, "audit:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    const where = eventFilterWhere(ctx.org.id, query);
    if (query.cursor) where.seq = { lt: BigInt(query.cursor) };
    const rows = await tx.auditEvent.findMany({ where, orderBy: { seq: "desc" }, take: query.limit + 1 });
    const kept = rows.slice(0, query.limit);
    const page = kept.map(chainedEventOf);
    const labels = await actorLabels(
      tx,
      ctx.org.id,
      page.map((e) => e.event),
    );
    return {
      events: page.map((e, i) => ({
        ...e,
        actor_label: e.event.actor.id ? (labels.get(e.event.actor.id) ?? null) : null,
        request_id: kept[i]!.requestId,
      })),
      next_cursor: rows.length > query.limit ? String(page[page.length - 1]!.seq) : null,
    };
  });
}
