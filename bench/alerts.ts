/**
 * Alert evaluation benchmark (npm run bench -- alerts).
 *
 * Latency: an organization with the seven built-in templates active (as
 * shadow rules, so nothing they do changes the load) plus one "each" rule on
 * probe events. Events are appended at a fixed rate (default 1,000 events/s
 * for 20 s: every 10 ms one transaction of 10 events, through the app's own
 * appendAuditEvents), one in every 100 a probe. The app's evaluator runs in
 * this process as it does in the server (lib/alerts/worker.ts). A watcher
 * polls alert_firings every 5 ms; the latency of a probe is the time from the
 * commit of its append to the moment its firing is seen committed (so it
 * includes up to 5 ms of polling granularity).
 *
 * Cost: 50,000 seeded events evaluated in batches against the same rules
 * (matching, group state, firings, the cursor), per event; and the engine
 * alone in memory (matching only), per event and rule.
 *
 * Settings: BENCH_ALERT_RATE (events/s, default 1000), BENCH_ALERT_SECONDS (20).
 * Nothing asserts the target (p99 < 1 s); the figures are printed and saved.
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { appendAuditEvents, type AuditInput } from "../lib/audit/append-event";
import { evaluateOrganization, toAlertEvent } from "../lib/alerts/evaluate-alerts";
import { compileAlertRule, matchEvent } from "../lib/alerts/engine";
import { createRule } from "../lib/alerts/rules";
import { ALERT_TEMPLATES } from "../lib/alerts/templates";
import { startAlertWorkers, stopAlertWorkers } from "../lib/alerts/worker";
import { closeDb } from "../lib/db/client";
import { withTenant } from "../lib/db/tenant";
import { DEFAULT_OWNER_URL, withDatabase } from "../scripts/lib/db-admin";
import { seedAuditEvents } from "../scripts/lib/seed-audit-events";
import { benchOrganization, fmt, saveResult, summarize } from "./lib";
import type { AuditEventName } from "../lib/audit/event-names";

const RATE = Number(process.env.BENCH_ALERT_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_ALERT_SECONDS ?? 20);
const TICK_MS = 10;
const PER_TICK = Math.max(1, Math.round((RATE * TICK_MS) / 1000));
const ownerUrl = withDatabase(
  process.env.DATABASE_URL ?? DEFAULT_OWNER_URL,
  process.env.BENCH_DATABASE ?? "warden_bench",
);
const owner = new pg.Pool({ connectionString: ownerUrl, max: 2 });

async function setupRules(prefix: string) {
  const { org, ctx } = await benchOrganization(prefix, "Alerts bench");
  for (const t of ALERT_TEMPLATES)
    await createRule(ctx, { name: t.name, mode: "shadow", template: t.id, spec: t.spec });
  const probe = await createRule(ctx, {
    name: "probe",
    mode: "active",
    spec: { actions: ["bench.probe"], condition: "true", aggregation: { kind: "each" }, responses: [] },
  });
  return { org, ctx, probeRule: probe.id };
}

function eventFor(orgId: string, n: number): AuditInput {
  const kinds = ["auth.sign_in_failed", "action.decided", "api_key.rate_limited", "auth.sign_in", "bench.noise"];
  const probe = n % 100 === 0;
  return {
    orgId,
    actor: { type: "user", id: `00000000-0000-4000-8000-${String(n % 50).padStart(12, "0")}` },
    // Synthetic names next to real ones: the probe rule matches bench.probe only.
    action: (probe ? "bench.probe" : kinds[n % kinds.length]!) as AuditEventName,
    target: { type: "bench", id: String(n % 97) },
    ip: `198.51.100.${n % 250}`,
    data: { n, effect: n % 3 === 0 ? "deny" : "allow", agent_id: `a-${n % 20}`, probe_n: probe ? n : null },
  };
}

async function latency() {
  const { org, probeRule } = await setupRules("alerts-lat");
  const committed = new Map<number, number>(); // probe n → commit time
  const seen = new Map<number, number>();
  let stop = false;
  let deadline = Infinity;
  // The watcher: new probe firings, with the probe number read from the triggering event.
  const watcher = (async () => {
    let after = new Date(0);
    while (!stop || seen.size < committed.size) {
      const r = await owner.query(
        `SELECT f.fired_at, e.data->>'probe_n' AS n FROM alert_firings f
         JOIN audit_events e ON e.org_id = f.org_id AND e.seq = (f.triggering->0->>'seq')::bigint
         WHERE f.org_id = $1 AND f.rule_id = $2 AND f.fired_at > $3 ORDER BY f.fired_at`,
        [org.id, probeRule, after],
      );
      const now = performance.now();
      for (const row of r.rows) {
        const n = Number(row.n);
        if (!seen.has(n)) seen.set(n, now);
        after = row.fired_at;
      }
      if (stop && performance.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 5));
    }
  })();
  await startAlertWorkers({ deliveries: false });
  const started = performance.now();
  let n = 0;
  let late = 0;
  const inflight: Promise<void>[] = [];
  for (let tick = 0; tick < (SECONDS * 1000) / TICK_MS; tick++) {
    const due = started + tick * TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else late++;
    const batch = Array.from({ length: PER_TICK }, () => eventFor(org.id, n++));
    inflight.push(
      withTenant({ orgId: org.id }, (tx) => appendAuditEvents(tx, batch)).then(() => {
        const t = performance.now();
        for (const e of batch) {
          const p = (e.data as { probe_n: number | null }).probe_n;
          if (p !== null) committed.set(p, t);
        }
      }),
    );
    if (inflight.length > 50) await inflight.shift();
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  stop = true;
  deadline = performance.now() + 10_000;
  await watcher;
  await stopAlertWorkers();
  const samples = [...committed].filter(([p]) => seen.has(p)).map(([p, t]) => seen.get(p)! - t);
  return {
    events: n,
    seconds: elapsed,
    rate: n / elapsed,
    late_ticks: late,
    probes: committed.size,
    probes_fired: samples.length,
    latency_ms: summarize(samples),
  };
}

async function cost() {
  const { org } = await setupRules("alerts-cost");
  const N = 50_000;
  const kinds = ["auth.sign_in_failed", "action.decided", "api_key.rate_limited", "auth.sign_in", "bench.noise"];
  await seedAuditEvents(owner, org.id, N, {
    make: (i: number) => ({
      actor: { type: "user" as const, id: `00000000-0000-4000-8000-${String(i % 50).padStart(12, "0")}` },
      action: kinds[i % kinds.length]!,
      target: { type: "bench", id: String(i % 97) },
      data: { effect: i % 3 === 0 ? "deny" : "allow", agent_id: `a-${i % 20}` },
    }),
  });
  await owner.query(`UPDATE alert_cursors SET seq = 0 WHERE org_id = $1`, [org.id]);
  const t0 = performance.now();
  let events = 0;
  let batches = 0;
  for (;;) {
    const r = await evaluateOrganization(org.id);
    events += r.events;
    batches++;
    if (!r.more) break;
  }
  const durable = performance.now() - t0;
  // The engine alone: matching every rule against every event in memory.
  const rows = (
    await owner.query(
      `SELECT seq, hash, occurred_at, actor_type, actor_id, action, target_type, target_id, ip, data
       FROM audit_events WHERE org_id = $1 ORDER BY seq LIMIT 20000`,
      [org.id],
    )
  ).rows;
  const evs = rows.map(toAlertEvent);
  const rules = ALERT_TEMPLATES.map((t, i) => compileAlertRule({ id: String(i), name: t.name, version: 1 }, t.spec));
  const t1 = performance.now();
  let matched = 0;
  for (const e of evs) for (const r of rules) if (matchEvent(r, e).start) matched++;
  const engine = performance.now() - t1;
  return {
    events,
    batches,
    rules: ALERT_TEMPLATES.length + 1,
    durable_ms_total: durable,
    durable_us_per_event: (durable * 1000) / events,
    engine_events: evs.length,
    engine_matched: matched,
    engine_us_per_event: (engine * 1000) / evs.length,
    engine_us_per_event_rule: (engine * 1000) / (evs.length * rules.length),
  };
}

async function main() {
  console.log(
    `Alerts benchmark (${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}): ${RATE} events/s for ${SECONDS} s`,
  );
  const lat = await latency();
  console.log(
    `  commit → firing: ${lat.probes_fired}/${lat.probes} probes, p50 ${fmt(lat.latency_ms.p50)}, p90 ${fmt(lat.latency_ms.p90)}, p99 ${fmt(lat.latency_ms.p99)}, max ${fmt(lat.latency_ms.max)}` +
      ` at ${lat.rate.toFixed(0)} events/s sustained (${lat.events} events, ${lat.late_ticks} late ticks)`,
  );
  const c = await cost();
  console.log(
    `  cost: ${c.durable_us_per_event.toFixed(1)} µs per event through the durable evaluator (${c.events} events, ${c.rules} rules, ${c.batches} transactions);` +
      ` engine alone ${c.engine_us_per_event.toFixed(1)} µs per event (${c.engine_us_per_event_rule.toFixed(2)} µs per event and rule)`,
  );
  console.log(`  saved ${saveResult("alerts", { rate: RATE, seconds: SECONDS, latency: lat, cost: c })}`);
  await owner.end();
  await closeDb();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
