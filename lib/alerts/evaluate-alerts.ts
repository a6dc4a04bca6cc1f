import { appendAuditEvents, type AuditInput } from "../audit/append-event";
import { orgsWithAlertWork } from "../db/lookup";
import { withTenant, type Tx } from "../db/tenant";
import { log } from "../log";
import { cooperative } from "../policy/cel/cost";
import type { AlertEvent } from "./condition";
import {
  emptyGroup,
  groupKeyOf,
  matchEvent,
  nextDue,
  step,
  tick,
  type Fire,
  type GroupState,
  type Match,
} from "./engine";
import { loadLiveRules, type LiveRule } from "./load-rules";
import { ALERTS_ACTOR, alertRef, runResponses, type ResponseResult } from "./responses";

/**
 * The durable evaluator. Per organization, one transaction:
 *
 *   lock the cursor row (FOR UPDATE SKIP LOCKED: another instance on it → skip)
 *   read the next events after the cursor (seq order = commit order, since
 *     appends serialise on the chain head until commit)
 *   match every live rule, load the touched groups FOR UPDATE, step them
 *   record firings (unique on rule + dedup key), run responses, enqueue
 *     deliveries, save groups, advance the cursor, append the audit events
 *   COMMIT
 *
 * A crash before COMMIT loses nothing (the batch is read again); after it,
 * nothing is evaluated twice (the cursor moved with the firings). Events the
 * evaluator itself appended (actor system:alerts) are never evaluated, so a
 * rule cannot feed on its own responses.
 *
 * Events in INLINE_ACTIONS are evaluated at once by evaluatePendingInline(),
 * which their writer calls right after the transaction that appended them
 * commits (what must hold at once: the lock after failed sign-ins, the
 * approval of a large export); this cursor passes over them.
 */
export const INLINE_ACTIONS: ReadonlySet<string> = new Set(["auth.sign_in_failed", "audit.export_requested"]);

const BATCH = 2000;

type EventRow = {
  seq: bigint;
  hash: string;
  occurred_at: Date;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  data: Record<string, unknown>;
};

export function toAlertEvent(r: EventRow): AlertEvent {
  return {
    seq: Number(r.seq),
    hash: r.hash,
    occurred_at: r.occurred_at.toISOString(),
    actor: { type: r.actor_type, id: r.actor_id },
    action: r.action,
    target: { type: r.target_type, id: r.target_id },
    ip: r.ip,
    data: r.data ?? {},
  };
}

const isOwn = (e: AlertEvent) => e.actor.type === ALERTS_ACTOR.type && e.actor.id === ALERTS_ACTOR.id;

export type EvaluationStats = { events: number; matched: number; fired: number };

/** Evaluates what is new in one organization's chain (one batch). */
export async function evaluateOrganization(
  orgId: string,
  opts: { now?: () => number; batch?: number } = {},
): Promise<EvaluationStats & { more: boolean }> {
  const clock = opts.now ?? Date.now;
  const batch = opts.batch ?? BATCH;
  return withTenant(
    { orgId },
    async (tx) => {
      const cursor = await tx.$queryRaw<{ seq: bigint }[]>`
        SELECT seq FROM alert_cursors WHERE org_id = ${orgId}::uuid FOR UPDATE SKIP LOCKED`;
      if (cursor.length === 0) return { events: 0, matched: 0, fired: 0, more: false };
      const from = cursor[0]!.seq;
      const rows = await tx.$queryRaw<EventRow[]>`
        SELECT seq, hash, occurred_at, actor_type, actor_id, action, target_type, target_id, ip, data
        FROM audit_events WHERE org_id = ${orgId}::uuid AND seq > ${from} ORDER BY seq LIMIT ${batch}`;
      const events = rows.map(toAlertEvent);
      const more = rows.length === batch;
      const rules = await loadLiveRules(tx, orgId);
      // Event time while catching up; the wall clock once the chain is read to its end.
      const now = more ? Date.parse(events.at(-1)!.occurred_at) : clock();
      const evaluated = events.filter((e) => !isOwn(e) && !INLINE_ACTIONS.has(e.action));
      const stats = await processEvents(tx, orgId, rules, evaluated, now, { sweepDue: true });
      if (rows.length > 0) {
        await tx.$executeRaw`
          UPDATE alert_cursors SET seq = ${rows.at(-1)!.seq}, updated_at = now() WHERE org_id = ${orgId}::uuid`;
      }
      await appendAuditEvents(tx, stats.audit);
      return { events: rows.length, matched: stats.matched, fired: stats.fired, more };
    },
    { timeoutMs: 60_000 },
  );
}

/**
 * Evaluates, in a transaction of its own, every INLINE_ACTIONS event of the
 * organization that inline evaluation has not seen yet (alert_inline_cursors),
 * in chain order, exactly once. Writers call it right after the transaction
 * that appended their event has committed, before they answer: their event
 * was appended with that COMMIT, so the audit head is locked only in a
 * COMMIT round trip, never across this evaluation (docs/RELIABILITY.md).
 *
 * Concurrent callers of one organization queue on its inline cursor row (a
 * lock no other writer takes); a crash between a writer's two transactions
 * leaves the event for the next caller, the evaluator's tick (skipLocked) or
 * an export's download (which catches up before it may start).
 *
 * The scan goes up to the head as read at the start and the cursor moves
 * there (not only to the last inline event), so it stays short.
 */
export async function evaluatePendingInline(
  orgId: string,
  opts: { skipLocked?: boolean; batch?: number } = {},
): Promise<EvaluationStats> {
  const batch = opts.batch ?? BATCH;
  return withTenant(
    { orgId },
    async (tx) => {
      const cursor = opts.skipLocked
        ? await tx.$queryRaw<{ seq: bigint }[]>`
            SELECT seq FROM alert_inline_cursors WHERE org_id = ${orgId}::uuid FOR UPDATE SKIP LOCKED`
        : await tx.$queryRaw<{ seq: bigint }[]>`
            SELECT seq FROM alert_inline_cursors WHERE org_id = ${orgId}::uuid FOR UPDATE`;
      // No row: the organization never had a rule (or another instance holds it, with skipLocked).
      if (cursor.length === 0) return { events: 0, matched: 0, fired: 0 };
      const from = cursor[0]!.seq;
      const head = await tx.$queryRaw<{ seq: bigint }[]>`SELECT seq FROM audit_heads WHERE org_id = ${orgId}::uuid`;
      const to = head[0]?.seq ?? from;
      if (to <= from) return { events: 0, matched: 0, fired: 0 };
      const rows = await tx.$queryRaw<EventRow[]>`
        SELECT seq, hash, occurred_at, actor_type, actor_id, action, target_type, target_id, ip, data
        FROM audit_events
        WHERE org_id = ${orgId}::uuid AND seq > ${from} AND seq <= ${to} AND action = ANY(${[...INLINE_ACTIONS]}::text[])
        ORDER BY seq LIMIT ${batch}`;
      const full = rows.length === batch;
      const through = full ? rows.at(-1)!.seq : to;
      let stats: EvaluationStats & { audit: AuditInput[] } = { events: rows.length, matched: 0, fired: 0, audit: [] };
      if (rows.length > 0) {
        const rules = await loadLiveRules(tx, orgId);
        if (rules.length > 0) {
          stats = await processEvents(tx, orgId, rules, rows.map(toAlertEvent), Date.now(), { sweepDue: false });
        }
      }
      await tx.$executeRaw`
        UPDATE alert_inline_cursors SET seq = ${through}, updated_at = now() WHERE org_id = ${orgId}::uuid`;
      // Sent with this transaction's COMMIT, like every append.
      await appendAuditEvents(tx, stats.audit);
      return { events: stats.events, matched: stats.matched, fired: stats.fired };
    },
    { timeoutMs: 60_000 },
  );
}

type GroupRow = { rule_id: string; group_key: string; state: GroupState };

async function processEvents(
  tx: Tx,
  orgId: string,
  rules: LiveRule[],
  events: AlertEvent[],
  now: number,
  opts: { sweepDue: boolean },
): Promise<EvaluationStats & { audit: AuditInput[] }> {
  const audit: AuditInput[] = [];
  const items: { rule: LiveRule; key: string; event: AlertEvent; match: Match }[] = [];
  const pause = cooperative();
  for (const event of events) {
    await pause();
    for (const rule of rules) {
      const match = matchEvent(rule, event);
      if (!match.start && !match.followUp) continue;
      items.push({ rule, key: groupKeyOf(rule, event), event, match });
    }
  }
  const live = new Map(rules.map((r) => [r.id, r]));
  const ids = (ruleId: string, key: string) => `${ruleId}\u0000${key}`;
  const wanted = new Map<string, { ruleId: string; key: string }>();
  for (const it of items) wanted.set(ids(it.rule.id, it.key), { ruleId: it.rule.id, key: it.key });

  const groups = new Map<string, GroupState>();
  if (wanted.size > 0 || opts.sweepDue) {
    const ruleIds = [...wanted.values()].map((w) => w.ruleId);
    const keys = [...wanted.values()].map((w) => w.key);
    const rows = await tx.$queryRaw<GroupRow[]>`
      SELECT rule_id::text, group_key, state FROM alert_groups g
      WHERE g.org_id = ${orgId}::uuid
        AND ((g.rule_id, g.group_key) IN (SELECT * FROM unnest(${ruleIds}::uuid[], ${keys}::text[]))
             OR (${opts.sweepDue} AND least(g.resolve_at, g.due_at) <= ${new Date(now)}))
      ORDER BY rule_id, group_key
      FOR UPDATE`;
    for (const r of rows) groups.set(ids(r.rule_id, r.group_key), { ...emptyGroup(), ...r.state });
  }
  const changed = new Set<string>();
  const fires: { rule: LiveRule; fire: Fire; event: AlertEvent | null }[] = [];
  for (const it of items) {
    const k = ids(it.rule.id, it.key);
    const g = groups.get(k) ?? emptyGroup();
    groups.set(k, g);
    const fire = step(it.rule, g, it.key, it.event, it.match);
    changed.add(k);
    if (fire) fires.push({ rule: it.rule, fire, event: it.event });
  }
  // Time passing: absence deadlines and window ends.
  for (const [k, g] of groups) {
    const ruleId = k.slice(0, k.indexOf("\u0000"));
    const rule = live.get(ruleId);
    if (!rule) continue;
    const due = nextDue(g);
    if (due === null || due > now) continue;
    const fire = tick(rule, g, k.slice(ruleId.length + 1), now);
    changed.add(k);
    if (fire) fires.push({ rule, fire, event: null });
  }

  let fired = 0;
  if (fires.length > 0) fired = await recordFirings(tx, orgId, fires, audit);

  if (changed.size > 0) {
    const list = [...changed].map((k) => {
      const ruleId = k.slice(0, k.indexOf("\u0000"));
      const g = groups.get(k)!;
      const due = g.open?.due ?? null;
      return {
        ruleId,
        key: k.slice(ruleId.length + 1),
        status: g.status,
        state: JSON.stringify(g),
        lastSeq: g.lastSeq,
        cooldown: g.cooldownUntil ? new Date(g.cooldownUntil).toISOString() : null,
        resolveAt: g.resolveAt ? new Date(g.resolveAt).toISOString() : null,
        dueAt: due ? new Date(due).toISOString() : null,
      };
    });
    await tx.$executeRaw`
      INSERT INTO alert_groups (org_id, rule_id, group_key, status, state, last_seq, cooldown_until, resolve_at, due_at, updated_at)
      SELECT ${orgId}::uuid, r, k, s, st::jsonb, ls, cd, ra, da, now()
      FROM unnest(${list.map((l) => l.ruleId)}::uuid[], ${list.map((l) => l.key)}::text[], ${list.map((l) => l.status)}::text[],
                  ${list.map((l) => l.state)}::text[], ${list.map((l) => l.lastSeq)}::bigint[],
                  ${list.map((l) => l.cooldown)}::timestamptz[], ${list.map((l) => l.resolveAt)}::timestamptz[],
                  ${list.map((l) => l.dueAt)}::timestamptz[]) AS t(r, k, s, st, ls, cd, ra, da)
      ON CONFLICT (org_id, rule_id, group_key) DO UPDATE
        SET status = EXCLUDED.status, state = EXCLUDED.state, last_seq = EXCLUDED.last_seq,
            cooldown_until = EXCLUDED.cooldown_until, resolve_at = EXCLUDED.resolve_at, due_at = EXCLUDED.due_at,
            updated_at = now()`;
    const resolved = list.filter((l) => l.status === "resolved");
    if (resolved.length > 0) {
      await tx.$executeRaw`
        UPDATE alert_firings f SET status = 'resolved', resolved_at = now()
        FROM unnest(${resolved.map((l) => l.ruleId)}::uuid[], ${resolved.map((l) => l.key)}::text[]) AS t(r, k)
        WHERE f.org_id = ${orgId}::uuid AND f.rule_id = t.r AND f.group_key = t.k AND f.status = 'firing'`;
    }
  }
  return { events: events.length, matched: items.length, fired, audit };
}

async function recordFirings(
  tx: Tx,
  orgId: string,
  fires: { rule: LiveRule; fire: Fire; event: AlertEvent | null }[],
  audit: AuditInput[],
): Promise<number> {
  const silences = await tx.$queryRaw<{ id: string; rule_id: string | null; group_key: string | null }[]>`
    SELECT id::text, rule_id::text, group_key FROM alert_silences
    WHERE org_id = ${orgId}::uuid AND ended_at IS NULL AND expires_at > now()`;
  const executedLastHour = new Map<string, number>();
  let count = 0;
  for (const { rule, fire, event } of fires) {
    const silence = silences.find(
      (s) => (s.rule_id === null || s.rule_id === rule.id) && (s.group_key === null || s.group_key === fire.groupKey),
    );
    if (!executedLastHour.has(rule.id)) {
      const r = await tx.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM alert_firings
        WHERE org_id = ${orgId}::uuid AND rule_id = ${rule.id}::uuid AND outcome = 'executed'
          AND fired_at > now() - interval '1 hour'`;
      executedLastHour.set(rule.id, r[0]!.n);
    }
    const capped = executedLastHour.get(rule.id)! >= rule.spec.max_responses_per_hour;
    // A gate (require_approval) fails closed: a silence or the cap must not let a request through.
    const gate = rule.spec.responses.some((r) => r.type === "require_approval");
    const outcome =
      rule.mode === "shadow" ? "shadow" : gate ? "executed" : silence ? "silenced" : capped ? "capped" : "executed";
    const inserted = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO alert_firings (org_id, rule_id, rule_version, group_key, dedup_key, outcome, status, silence_id,
                                 severity, summary, triggering, window_start)
      VALUES (${orgId}::uuid, ${rule.id}::uuid, ${rule.version}, ${fire.groupKey.slice(0, 1024)}, ${fire.dedupKey.slice(0, 2048)},
              ${outcome}, 'firing', ${silence?.id ?? null}::uuid, ${rule.spec.severity}, ${fire.summary},
              ${JSON.stringify(fire.triggering.map((t) => ({ seq: t.seq, hash: t.hash })))}::jsonb, ${new Date(fire.windowStart)})
      ON CONFLICT (org_id, rule_id, dedup_key) DO NOTHING
      RETURNING id::text`;
    if (inserted.length === 0) continue; // fired already (a replay, or another path got there first)
    count++;
    const firingId = inserted[0]!.id;
    const subject = event ?? (await eventAt(tx, orgId, fire.triggering.at(-1)!.seq));
    const ref = {
      firingId,
      rule,
      triggering: fire.triggering.map((t) => ({ seq: t.seq, hash: t.hash })),
      summary: fire.summary,
      severity: rule.spec.severity,
      event: subject,
    };
    let results: ResponseResult[];
    const responseEvents: AuditInput[] = [];
    if (outcome === "executed") {
      executedLastHour.set(rule.id, executedLastHour.get(rule.id)! + 1);
      results = await runResponses(tx, orgId, ref, responseEvents);
    } else {
      results = rule.spec.responses.map((r) => ({
        type: r.type,
        status: "skipped" as const,
        detail: outcome === "shadow" ? "shadow mode: would have run" : outcome,
      }));
    }
    await tx.$executeRaw`
      UPDATE alert_firings SET responses = ${JSON.stringify(results)}::jsonb
      WHERE org_id = ${orgId}::uuid AND id = ${firingId}::uuid`;
    audit.push({
      orgId,
      actor: ALERTS_ACTOR,
      action: "alert.fired",
      target: { type: "alert_rule", id: rule.id },
      data: {
        ...alertRef(ref),
        group: fire.groupKey,
        outcome,
        silence_id: silence?.id ?? null,
        summary: fire.summary,
        responses: results.map((r) => ({ type: r.type, status: r.status })),
      },
    });
    audit.push(...responseEvents);
  }
  return count;
}

async function eventAt(tx: Tx, orgId: string, seq: number): Promise<AlertEvent> {
  const rows = await tx.$queryRaw<EventRow[]>`
    SELECT seq, hash, occurred_at, actor_type, actor_id, action, target_type, target_id, ip, data
    FROM audit_events WHERE org_id = ${orgId}::uuid AND seq = ${seq}`;
  return toAlertEvent(rows[0]!);
}

/** Starts evaluating an organization's chain from its current head (rules look forward; backtests look back). */
export async function ensureCursor(tx: Tx, orgId: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO alert_cursors (org_id, seq)
    SELECT ${orgId}::uuid, seq FROM audit_heads WHERE org_id = ${orgId}::uuid
    ON CONFLICT (org_id) DO NOTHING`;
  await tx.$executeRaw`
    INSERT INTO alert_inline_cursors (org_id, seq)
    SELECT ${orgId}::uuid, seq FROM audit_heads WHERE org_id = ${orgId}::uuid
    ON CONFLICT (org_id) DO NOTHING`;
}

/** One pass over every organization with work; returns how many events were evaluated. */
export async function runAlertEvaluation(): Promise<number> {
  let total = 0;
  for (const orgId of await orgsWithAlertWork()) {
    try {
      // Inline events a writer left behind (it crashed between its two transactions).
      total += (await evaluatePendingInline(orgId, { skipLocked: true })).events;
      for (let i = 0; i < 10; i++) {
        const r = await evaluateOrganization(orgId);
        total += r.events;
        if (!r.more) break;
      }
    } catch (err) {
      log().error({ err, orgId }, "alert evaluation failed for an organization");
    }
  }
  return total;
}
