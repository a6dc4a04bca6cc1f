import { withTenantSql } from "../db/sql";
import { chainedEventOf, type ChainedEvent, type StoredEvent } from "./event-row";

/**
 * Keyset pages of an organization's chain for the readers that walk all of
 * it (verification, exports), on the raw pool: a page of thousands of rows
 * costs about half what the typed client's decoding costs, which is most of
 * a million-event walk. Each page is its own short tenant transaction.
 */

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
    sql.query<StoredEvent>(
      `SELECT org_id AS "orgId", seq::text AS seq, id, occurred_at AS "occurredAt", actor_type AS "actorType",
              actor_id AS "actorId", action, target_type AS "targetType", target_id AS "targetId", ip, data,
              prev_hash AS "prevHash", hash
       FROM audit_events
       WHERE org_id = $1 AND seq > $2 AND seq <= $3
         AND ($5::timestamptz IS NULL OR occurred_at >= $5) AND ($6::timestamptz IS NULL OR occurred_at < $6)
       ORDER BY audit_events.seq -- the column, not the text alias above
       LIMIT $4`,
      [orgId, q.afterSeq, q.throughSeq, q.limit, q.from ?? null, q.to ?? null],
      "audit_event_page",
    ),
  );
  return rows.map(chainedEventOf);
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
