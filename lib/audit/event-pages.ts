import { withTenantSql } from "../db/sql";
import type { HashedEvent, JsonObject } from "./event";
import type { ChainedEvent } from "./event-row";

/**
 * Keyset pages of an organization's chain for the readers that walk all of
 * it (verification, exports), on the raw pool: a page of thousands of rows
 * costs about half what the typed client's decoding costs, which is most of
 * a million-event walk. Each page is its own short tenant transaction.
 */

type Row = {
  org_id: string;
  seq: string;
  id: string;
  occurred_at: Date;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  data: JsonObject | null;
  prev_hash: string;
  hash: string;
};

function chained(r: Row): ChainedEvent {
  const event: HashedEvent = {
    v: 1,
    id: r.id,
    org_id: r.org_id,
    occurred_at: r.occurred_at.toISOString(),
    actor: { type: r.actor_type as HashedEvent["actor"]["type"], id: r.actor_id },
    action: r.action,
    target: { type: r.target_type, id: r.target_id },
    ip: r.ip,
    data: r.data ?? {},
  };
  return { seq: Number(r.seq), prev_hash: r.prev_hash, hash: r.hash, event };
}

export type PageQuery = {
  /** Events with seq > afterSeq … */
  afterSeq: number;
  /** … and seq <= throughSeq. */
  throughSeq: number;
  limit: number;
  /** occurred_at in [from, to) when given. */
  from?: Date | null;
  to?: Date | null;
};

export async function readEventPage(orgId: string, q: PageQuery): Promise<ChainedEvent[]> {
  const rows = await withTenantSql({ orgId }, (sql) =>
    sql.query<Row>(
      `SELECT org_id, seq::text AS seq, id, occurred_at, actor_type, actor_id, action, target_type, target_id, ip, data, prev_hash, hash
       FROM audit_events
       WHERE org_id = $1 AND seq > $2 AND seq <= $3
         AND ($5::timestamptz IS NULL OR occurred_at >= $5) AND ($6::timestamptz IS NULL OR occurred_at < $6)
       ORDER BY audit_events.seq -- the column, not the text alias above
       LIMIT $4`,
      [orgId, q.afterSeq, q.throughSeq, q.limit, q.from ?? null, q.to ?? null],
      "audit_event_page",
    ),
  );
  return rows.map(chained);
}

/**
 * Every event with afterSeq < seq <= throughSeq in order, a page at a time,
 * with the next page already being read while the caller works on this one.
 */
export async function* walkEvents(
  orgId: string,
  q: Omit<PageQuery, "afterSeq"> & { afterSeq?: number },
): AsyncGenerator<ChainedEvent[]> {
  const read = (afterSeq: number) => {
    const p = readEventPage(orgId, { ...q, afterSeq });
    // A caller that stops early leaves the prefetch unread: never an unhandled rejection.
    p.catch(() => {});
    return p;
  };
  let next: Promise<ChainedEvent[]> | null = read(q.afterSeq ?? 0);
  while (next) {
    const page: ChainedEvent[] = await next;
    if (page.length === 0) return;
    next = page.length < q.limit ? null : read(page[page.length - 1]!.seq);
    yield page;
  }
}
