import type pg from "pg";
import { bulkheadStats, type BulkheadStats } from "./bulkhead";
import { db, infrastructurePool, pipelinePool } from "./client";

/**
 * What requests would see right now, for /api/health and /api/health/ready:
 * a round trip through each pool the requests use (so a saturated pool or a
 * dead server shows as a slow or failed ping, not as a healthy idle side
 * pool), each pool's occupancy, the bulkheads, and how many of this app's
 * connections wait on a lock (and for how long). Counts only: no tenant ids.
 */
export type PoolState = { ok: boolean; ms: number; total: number; idle: number; waiting: number; max: number };
export type Readiness = {
  ok: boolean;
  pools: Record<"tenant" | "hot" | "infra", PoolState>;
  bulkheads: Record<"tenant" | "hot", BulkheadStats>;
  lock_waits: { count: number; longest_ms: number } | null;
};

async function ping(pool: pg.Pool, timeoutMs: number): Promise<PoolState> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ok = await Promise.race([
    pool.query("SELECT 1").then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return {
    ok,
    ms: Math.round(performance.now() - started),
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
    max: (pool.options as { max?: number }).max ?? 0,
  };
}

async function lockWaits(timeoutMs: number): Promise<Readiness["lock_waits"]> {
  // The app role sees its own sessions' wait events; other roles' are hidden.
  const query = db()
    .pool.query<{ count: number; longest_ms: number }>(
      `SELECT count(*)::int AS count,
              coalesce(max(extract(epoch FROM now() - state_change) * 1000), 0)::int AS longest_ms
         FROM pg_stat_activity
        WHERE datname = current_database() AND usename = current_user
          AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
    )
    .then((r) => r.rows[0] ?? null)
    .catch(() => null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([query, new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)))]);
  clearTimeout(timer);
  return result;
}

/** Full readiness (/api/health/ready): every pool, the bulkheads, the lock waits. */
export async function readiness(timeoutMs = 2_000): Promise<Readiness> {
  const [tenant, hot, infra, waits] = await Promise.all([
    ping(db().pool, timeoutMs),
    ping(pipelinePool(), timeoutMs),
    ping(infrastructurePool(), timeoutMs),
    lockWaits(timeoutMs),
  ]);
  return {
    ok: tenant.ok && hot.ok && infra.ok,
    pools: { tenant, hot, infra },
    bulkheads: { tenant: bulkheadStats("tenant"), hot: bulkheadStats("hot") },
    lock_waits: waits,
  };
}

/**
 * The cheap probe (/api/health, polled often): one round trip through the
 * hot path's pool, the one agents' requests use, so a saturated pool or a dead
 * server shows as a failure within the timeout.
 */
export async function hotPathAnswers(timeoutMs = 2_000): Promise<boolean> {
  return (await ping(pipelinePool(), timeoutMs)).ok;
}
