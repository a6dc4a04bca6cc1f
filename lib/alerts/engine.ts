import { AppError } from "../errors";
import { parseOr422 } from "../validation";
import type { CompiledCondition } from "../policy/cel/compile";
import { compileAlertCondition, eventBindings, type AlertEvent } from "./condition";
import { ALERT_LIMITS, ruleSpecSchema, type Aggregation, type RuleSpec } from "./schemas";

/**
 * The pure part of alert evaluation: which events a rule matches, how they
 * group, and when a group fires. No I/O: the durable evaluator
 * (evaluate-alerts.ts) and the backtest run the same code, the first with
 * group states loaded from and saved to alert_groups, the second in memory.
 *
 * Time is event time (occurred_at), so a replay or a backtest of the same
 * events decides exactly what the live run decided; only absence deadlines and
 * window ends need a clock (tick), and the evaluator passes the wall clock
 * only once it has caught up with the chain.
 */

export type EventRef = { seq: number; hash: string; at: number };

export type GroupStatus = "idle" | "pending" | "firing" | "resolved";

export type GroupState = {
  status: GroupStatus;
  /** count: matching events still inside the window (oldest first). */
  refs?: EventRef[];
  /** distinct: the latest event per value inside the window. */
  values?: Record<string, EventRef>;
  /** first_seen: values this group has had (most recent last). */
  seen?: string[];
  /** absence: the event waiting for its follow-up, and its deadline. */
  open?: EventRef & { due: number };
  cooldownUntil: number | null;
  /** When the group should be looked at again without new events (window end). */
  resolveAt: number | null;
  lastSeq: number;
};

export const emptyGroup = (): GroupState => ({ status: "idle", cooldownUntil: null, resolveAt: null, lastSeq: 0 });

export type Fire = {
  groupKey: string;
  dedupKey: string;
  windowStart: number;
  triggering: EventRef[];
  summary: string;
};

export type CompiledAlertRule = {
  id: string;
  name: string;
  version: number;
  spec: RuleSpec;
  condition: CompiledCondition;
  followUp: CompiledCondition | null;
  /** Fast pre-filter on the event type. */
  wants(action: string): boolean;
};

/** Validates and compiles a rule's spec (422 with field paths under `spec.`). */
export function compileAlertRule(
  meta: { id: string; name: string; version: number },
  raw: unknown,
  { stored = false }: { stored?: boolean } = {},
): CompiledAlertRule {
  const spec = parseOr422(ruleSpecSchema, raw, "rule");
  const condition = compileAlertCondition(spec.condition, "spec.condition", !stored);
  const followUp =
    spec.aggregation.kind === "absence"
      ? compileAlertCondition(spec.aggregation.follow_up, "spec.aggregation.follow_up", !stored)
      : null;
  if (spec.aggregation.kind === "absence" && spec.group_by.length === 0) {
    throw new AppError("validation_failed", "An absence rule needs group_by to pair events with their follow-ups", {
      errors: [{ path: "spec.group_by", message: "name the field that links an event to its follow-up" }],
    });
  }
  const exact = new Set(spec.actions.filter((a) => !a.endsWith(".*")));
  const prefixes = spec.actions.filter((a) => a.endsWith(".*")).map((a) => a.slice(0, -1));
  const all = spec.actions.length === 0;
  return {
    ...meta,
    spec,
    condition,
    followUp,
    wants: (action) => all || exact.has(action) || prefixes.some((p) => action.startsWith(p)),
  };
}

/** The value of a field path in an event, as a string (null when absent). */
export function fieldValue(e: AlertEvent, field: string): string | null {
  switch (field) {
    case "action":
      return e.action;
    case "actor.type":
      return e.actor.type;
    case "actor.id":
      return e.actor.id;
    case "target.type":
      return e.target.type;
    case "target.id":
      return e.target.id;
    case "ip":
      return e.ip;
  }
  let v: unknown = e.data;
  for (const k of field.split(".").slice(1)) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
    v = (v as Record<string, unknown>)[k];
  }
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function groupKeyOf(rule: CompiledAlertRule, e: AlertEvent): string {
  return JSON.stringify(rule.spec.group_by.map((f) => fieldValue(e, f)));
}

/** "u-1 / 10.0.0.1" for people. */
export function describeGroup(groupKey: string): string {
  try {
    const parts = JSON.parse(groupKey) as (string | null)[];
    return parts.length === 0 ? "all events" : parts.map((p) => p ?? "—").join(" / ");
  } catch {
    return groupKey;
  }
}

export type Match = { start: boolean; followUp: boolean; error?: string };

/**
 * Runs the rule's conditions on an event. A condition that fails at run time
 * (a missing key, a wrong type) does not match; the error is reported so the
 * editor's test can show it.
 */
export function matchEvent(rule: CompiledAlertRule, e: AlertEvent): Match {
  if (!rule.wants(e.action)) return { start: false, followUp: false };
  const bindings = eventBindings(e);
  const r = rule.condition.run(bindings);
  const f = rule.followUp ? rule.followUp.run(bindings) : null;
  return {
    start: r.ok && r.value,
    followUp: f !== null && f.ok && f.value,
    error: !r.ok ? r.error : f && !f.ok ? f.error : undefined,
  };
}

const refOf = (e: AlertEvent): EventRef => ({ seq: e.seq, hash: e.hash, at: Date.parse(e.occurred_at) });

function inCooldown(g: GroupState, at: number): boolean {
  return g.cooldownUntil !== null && at < g.cooldownUntil;
}

function fired(rule: CompiledAlertRule, g: GroupState, at: number, minHold: number): void {
  g.status = "firing";
  g.cooldownUntil = rule.spec.cooldown_seconds > 0 ? at + rule.spec.cooldown_seconds * 1000 : null;
  g.resolveAt = at + minHold;
}

function summaryOf(rule: CompiledAlertRule, groupKey: string, detail: string): string {
  const group = rule.spec.group_by.length > 0 ? ` for ${describeGroup(groupKey)}` : "";
  return `${rule.name}${group}: ${detail}`.slice(0, 1000);
}

/**
 * Feeds one matched event to a group. Mutates `g`; returns the firing, if
 * this event completes one.
 */
export function step(rule: CompiledAlertRule, g: GroupState, groupKey: string, e: AlertEvent, m: Match): Fire | null {
  g.lastSeq = Math.max(g.lastSeq, e.seq);
  const ref = refOf(e);
  const agg = rule.spec.aggregation;
  switch (agg.kind) {
    case "each": {
      if (!m.start || inCooldown(g, ref.at)) return null;
      fired(rule, g, ref.at, 60_000);
      return {
        groupKey,
        dedupKey: `${groupKey}|${ref.seq}`,
        windowStart: ref.at,
        triggering: [ref],
        summary: summaryOf(rule, groupKey, e.action),
      };
    }
    case "count": {
      if (!m.start) return null;
      const windowMs = agg.window_seconds * 1000;
      const refs = (g.refs ?? []).filter((r) => r.at > ref.at - windowMs);
      refs.push(ref);
      if (refs.length >= agg.threshold && !inCooldown(g, ref.at)) {
        g.refs = [];
        fired(rule, g, ref.at, windowMs);
        return {
          groupKey,
          dedupKey: `${groupKey}|${refs[0]!.seq}`,
          windowStart: refs[0]!.at,
          triggering: refs,
          summary: summaryOf(rule, groupKey, `${refs.length} events within ${agg.window_seconds} s`),
        };
      }
      // Only the newest threshold-1 can still take part in a firing.
      g.refs = refs.slice(-Math.max(1, agg.threshold - 1));
      if (g.status !== "firing") g.status = "pending";
      g.resolveAt = Math.max(g.resolveAt ?? 0, ref.at + windowMs);
      return null;
    }
    case "distinct": {
      if (!m.start) return null;
      const value = fieldValue(e, agg.field);
      if (value === null) return null;
      const windowMs = agg.window_seconds * 1000;
      const values: Record<string, EventRef> = {};
      for (const [k, r] of Object.entries(g.values ?? {})) if (r.at > ref.at - windowMs) values[k] = r;
      values[value] = ref;
      const refs = Object.values(values).sort((a, b) => a.seq - b.seq);
      if (refs.length >= agg.threshold && !inCooldown(g, ref.at)) {
        g.values = {};
        fired(rule, g, ref.at, windowMs);
        return {
          groupKey,
          dedupKey: `${groupKey}|${refs[0]!.seq}`,
          windowStart: refs[0]!.at,
          triggering: refs,
          summary: summaryOf(rule, groupKey, `${refs.length} distinct ${agg.field} within ${agg.window_seconds} s`),
        };
      }
      // Keep the newest threshold-1 values.
      const keep = Object.entries(values)
        .sort((a, b) => a[1].seq - b[1].seq)
        .slice(-(agg.threshold - 1));
      g.values = Object.fromEntries(keep);
      if (g.status !== "firing") g.status = "pending";
      g.resolveAt = Math.max(g.resolveAt ?? 0, ref.at + windowMs);
      return null;
    }
    case "first_seen": {
      if (!m.start) return null;
      const value = fieldValue(e, agg.field);
      if (value === null) return null;
      const seen = g.seen ?? [];
      const known = seen.indexOf(value);
      if (known >= 0) {
        seen.splice(known, 1);
        seen.push(value);
        g.seen = seen;
        return null;
      }
      const hadHistory = seen.length > 0;
      seen.push(value);
      g.seen = seen.slice(-ALERT_LIMITS.maxRemembered);
      if (!hadHistory || inCooldown(g, ref.at)) return null;
      fired(rule, g, ref.at, 60_000);
      return {
        groupKey,
        dedupKey: `${groupKey}|${value}`,
        windowStart: ref.at,
        triggering: [ref],
        summary: summaryOf(rule, groupKey, `first time ${agg.field} = ${value}`),
      };
    }
    case "absence": {
      if (m.followUp && g.open) {
        g.open = undefined;
        g.status = g.status === "firing" ? "firing" : "idle";
        return null;
      }
      if (m.start && !g.open) {
        g.open = { ...ref, due: absenceDue(agg, e, ref.at) };
        if (g.status !== "firing") g.status = "pending";
      }
      return null;
    }
  }
}

/**
 * When an absence rule stops waiting for the follow-up of an event at `at`:
 * `within_seconds` later, or, with a deadline, that fraction of the way to
 * the time the event names (an unusable or past time falls back to
 * `within_seconds`).
 */
export function absenceDue(agg: Extract<Aggregation, { kind: "absence" }>, e: AlertEvent, at: number): number {
  if (agg.deadline) {
    const v = fieldValue(e, agg.deadline.field);
    const until = v === null ? NaN : Date.parse(v);
    if (Number.isFinite(until) && until > at) return at + Math.floor((until - at) * agg.deadline.fraction);
  }
  return at + agg.within_seconds * 1000;
}

/**
 * Time passing for a group without new events: an absence deadline that
 * passed fires; a firing whose window is over resolves; a pending group whose
 * events all left the window goes idle. `now` is event time while catching up.
 */
export function tick(rule: CompiledAlertRule, g: GroupState, groupKey: string, now: number): Fire | null {
  let fire: Fire | null = null;
  const agg = rule.spec.aggregation;
  if (agg.kind === "absence" && g.open && g.open.due <= now) {
    const open = g.open;
    g.open = undefined;
    if (!inCooldown(g, open.due)) {
      fired(rule, g, open.due, 60_000);
      fire = {
        groupKey,
        dedupKey: `${groupKey}|${open.seq}`,
        windowStart: open.at,
        triggering: [{ seq: open.seq, hash: open.hash, at: open.at }],
        summary: summaryOf(
          rule,
          groupKey,
          agg.deadline
            ? `no follow-up by ${Math.round(agg.deadline.fraction * 100)} % of the time to ${agg.deadline.field}`
            : `no follow-up within ${agg.within_seconds} s`,
        ),
      };
      return fire;
    }
    g.status = "idle";
  }
  if (g.resolveAt !== null && g.resolveAt <= now) {
    if (g.status === "firing") g.status = "resolved";
    else if (g.status === "pending") {
      const windowMs = "window_seconds" in agg ? agg.window_seconds * 1000 : 0;
      g.refs = (g.refs ?? []).filter((r) => r.at > now - windowMs);
      if (g.values) {
        g.values = Object.fromEntries(Object.entries(g.values).filter(([, r]) => r.at > now - windowMs));
      }
      if ((g.refs?.length ?? 0) === 0 && Object.keys(g.values ?? {}).length === 0) g.status = "idle";
    }
    g.resolveAt = null;
  }
  return fire;
}

/** The next time tick() has something to do for this group, or null. */
export function nextDue(g: GroupState): number | null {
  const times = [g.resolveAt, g.open?.due ?? null].filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.min(...times);
}
