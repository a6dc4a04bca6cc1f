import { cooperative } from "../policy/cel/cost";
import { withTenant } from "../db/tenant";
import { parseOr422 } from "../validation";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import type { AlertEvent } from "./condition";
import {
  compileAlertRule,
  describeGroup,
  emptyGroup,
  groupKeyOf,
  matchEvent,
  nextDue,
  step,
  tick,
  type CompiledAlertRule,
  type Fire,
  type GroupState,
} from "./engine";
import { toAlertEvent } from "./evaluate-alerts";
import { ALERTS_ACTOR } from "./responses";
import { ALERT_LIMITS, backtestSchema, testRuleSchema } from "./schemas";

/**
 * What a rule would have done over events already in the chain, with the very
 * engine the evaluator runs (group states in memory instead of alert_groups).
 * Nothing is written and nothing is audited: it reads what the caller may
 * already read (alerts:read is an admin permission).
 */
export type SimulatedFiring = {
  group: string;
  summary: string;
  window_start: string;
  triggering: { seq: number; hash: string }[];
};

export type Simulation = {
  events_scanned: number;
  matched: number;
  errors: { seq: number; error: string }[];
  firings: SimulatedFiring[];
  from: string | null;
  to: string | null;
  truncated: boolean;
};

export async function simulate(
  rule: CompiledAlertRule,
  events: AlertEvent[],
  endAt: number,
  truncated: boolean,
): Promise<Simulation> {
  const pause = cooperative();
  const groups = new Map<string, GroupState>();
  const firings: SimulatedFiring[] = [];
  const errors: { seq: number; error: string }[] = [];
  let matched = 0;
  const push = (f: Fire | null) => {
    if (!f || firings.length >= 1000) return;
    firings.push({
      group: describeGroup(f.groupKey),
      summary: f.summary,
      window_start: new Date(f.windowStart).toISOString(),
      triggering: f.triggering.map((t) => ({ seq: t.seq, hash: t.hash })),
    });
  };
  const advance = (now: number) => {
    for (const [key, g] of groups) {
      const due = nextDue(g);
      if (due !== null && due <= now) push(tick(rule, g, key, now));
    }
  };
  for (const e of events) {
    await pause();
    if (e.actor.type === ALERTS_ACTOR.type && e.actor.id === ALERTS_ACTOR.id) continue;
    advance(Date.parse(e.occurred_at));
    const m = matchEvent(rule, e);
    if (m.error && errors.length < 50) errors.push({ seq: e.seq, error: m.error });
    if (!m.start && !m.followUp) continue;
    matched++;
    const key = groupKeyOf(rule, e);
    const g = groups.get(key) ?? emptyGroup();
    groups.set(key, g);
    push(step(rule, g, key, e, m));
  }
  advance(endAt);
  return {
    events_scanned: events.length,
    matched,
    errors,
    firings,
    from: events[0]?.occurred_at ?? null,
    to: events.at(-1)?.occurred_at ?? null,
    truncated,
  };
}

const PAGE = 5000;

type EventRow = Parameters<typeof toAlertEvent>[0];

/** The rule against the most recent `limit` events (the editor's "test"). */
export async function testRule(ctx: OrgContext, raw: unknown): Promise<Simulation> {
  assertCan(ctx, "alerts:read");
  const body = parseOr422(testRuleSchema, raw);
  const rule = compileAlertRule({ id: "test", name: "test", version: 0 }, body.spec);
  const rows = await withTenant(
    tenantOf(ctx),
    (tx) =>
      tx.$queryRaw<EventRow[]>`
      SELECT seq, hash, occurred_at, actor_type, actor_id, action, target_type, target_id, ip, data
      FROM audit_events WHERE org_id = ${ctx.org.id}::uuid ORDER BY seq DESC LIMIT ${body.limit}`,
  );
  const events = rows.reverse().map(toAlertEvent);
  return simulate(rule, events, Date.now(), false);
}

/** The rule over the last `days` days of the organization's chain (at most maxBacktestEvents events). */
export async function backtestRule(ctx: OrgContext, raw: unknown): Promise<Simulation> {
  assertCan(ctx, "alerts:read");
  const body = parseOr422(backtestSchema, raw);
  const rule = compileAlertRule({ id: "backtest", name: "backtest", version: 0 }, body.spec);
  const since = new Date(Date.now() - body.days * 24 * 3600 * 1000);
  const events: AlertEvent[] = [];
  let truncated = false;
  await withTenant(
    tenantOf(ctx),
    async (tx) => {
      const start = await tx.$queryRaw<{ seq: bigint | null }[]>`
        SELECT min(seq) - 1 AS seq FROM audit_events WHERE org_id = ${ctx.org.id}::uuid AND occurred_at >= ${since}`;
      let after = start[0]?.seq ?? null;
      if (after === null) return;
      for (;;) {
        const rows: EventRow[] = await tx.$queryRaw<EventRow[]>`
          SELECT seq, hash, occurred_at, actor_type, actor_id, action, target_type, target_id, ip, data
          FROM audit_events WHERE org_id = ${ctx.org.id}::uuid AND seq > ${after} ORDER BY seq LIMIT ${PAGE}`;
        for (const r of rows) events.push(toAlertEvent(r));
        if (rows.length < PAGE) break;
        after = rows.at(-1)!.seq;
        if (events.length >= ALERT_LIMITS.maxBacktestEvents) {
          truncated = true;
          break;
        }
      }
    },
    { timeoutMs: 60_000 },
  );
  return simulate(rule, events, Date.now(), truncated);
}
