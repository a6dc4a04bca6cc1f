import { db } from "./client";
import { pipelinedTransaction } from "./sql";

/**
 * The job_runs table behind lib/jobs: one row per (job, tick) across every app
 * instance. Ticks are counted on the database's clock, so instances whose
 * clocks disagree still agree on the tick. No tenant data lives here.
 */

/** How many past ticks of each job are kept for inspection. */
const KEEP_TICKS = 1000;

export type TickClaim = {
  /** The current tick: floor(database time in ms / everyMs). */
  tick: number;
  /** True when this call won the tick and must run the job now. */
  claimed: boolean;
  /** Milliseconds until the next tick starts, on the database's clock. */
  msToNextTick: number;
};

/**
 * Claims the current tick of a job for one instance. At most one caller wins a
 * tick, and none wins while an earlier run of the same job still holds its
 * lease (a job never overlaps itself). Runs whose lease lapsed unfinished (the
 * instance died) are closed as failed. Serialised per job by a transaction
 * advisory lock, so two claims of neighbouring ticks cannot both slip past the
 * overlap check.
 */
export async function claimJobTick(
  job: string,
  everyMs: number,
  instance: string,
  leaseMs: number,
): Promise<TickClaim> {
  const now = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";
  const results = await pipelinedTransaction([
    {
      text: "SELECT pg_advisory_xact_lock(hashtextextended('warden.job:' || $1, 0))",
      values: [job],
      name: "job_claim_lock",
    },
    {
      text: `UPDATE job_runs SET finished_at = lease_until, ok = false, error = 'lease lapsed before the run finished (instance stopped?)'
             WHERE job = $1 AND finished_at IS NULL AND lease_until <= clock_timestamp()`,
      values: [job],
      name: "job_claim_close_lapsed",
    },
    {
      text: `WITH t AS (SELECT ${now} AS ms),
             k AS (SELECT ms, ms / $2::bigint AS tick FROM t),
             ins AS (
               INSERT INTO job_runs (job, tick, instance, lease_until)
               SELECT $1, k.tick, $3, clock_timestamp() + make_interval(secs => $4::double precision / 1000)
               FROM k
               WHERE NOT EXISTS (SELECT 1 FROM job_runs r WHERE r.job = $1 AND r.finished_at IS NULL)
               ON CONFLICT (job, tick) DO NOTHING
               RETURNING tick)
             SELECT k.tick::text AS tick, EXISTS (SELECT 1 FROM ins) AS claimed,
                    ((k.tick + 1) * $2::bigint - k.ms)::int AS ms_to_next
             FROM k`,
      values: [job, everyMs, instance, leaseMs],
      name: "job_claim_insert",
    },
    {
      text: `DELETE FROM job_runs WHERE job = $1 AND tick < ${now} / $2::bigint - ${KEEP_TICKS}`,
      values: [job, everyMs],
      name: "job_claim_prune",
    },
  ]);
  const row = results[2]![0] as { tick: string; claimed: boolean; ms_to_next: number };
  return { tick: Number(row.tick), claimed: row.claimed, msToNextTick: row.ms_to_next };
}

/** Extends a running claim's lease; false when the claim is no longer this run's (it lapsed). */
export async function renewJobLease(job: string, tick: number, leaseMs: number): Promise<boolean> {
  const { rowCount } = await db().pool.query({
    name: "job_renew_lease",
    text: `UPDATE job_runs SET lease_until = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
           WHERE job = $1 AND tick = $2 AND finished_at IS NULL`,
    values: [job, tick, leaseMs],
  });
  return rowCount === 1;
}

/** Records the end of a run and frees the job for the next tick. */
export async function finishJobRun(job: string, tick: number, ok: boolean, error: string | null): Promise<void> {
  await db().pool.query({
    name: "job_finish_run",
    text: `UPDATE job_runs SET finished_at = clock_timestamp(), lease_until = clock_timestamp(), ok = $3, error = $4
           WHERE job = $1 AND tick = $2`,
    values: [job, tick, ok, error === null ? null : error.slice(0, 1000)],
  });
}

export type JobRunRow = {
  job: string;
  tick: number;
  instance: string;
  startedAt: Date;
  finishedAt: Date | null;
  ok: boolean | null;
  error: string | null;
};

/** The latest runs of a job, newest first (for operators and tests). */
export async function listJobRuns(job: string, limit = 100): Promise<JobRunRow[]> {
  const { rows } = await db().pool.query<{
    job: string;
    tick: string;
    instance: string;
    started_at: Date;
    finished_at: Date | null;
    ok: boolean | null;
    error: string | null;
  }>({
    name: "job_list_runs",
    text: `SELECT job, tick::text AS tick, instance, started_at, finished_at, ok, error
           FROM job_runs WHERE job = $1 ORDER BY tick DESC LIMIT $2`,
    values: [job, limit],
  });
  return rows.map((r) => ({
    job: r.job,
    tick: Number(r.tick),
    instance: r.instance,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    ok: r.ok,
    error: r.error,
  }));
}

/** Each job's latest successful run, across every instance (for readiness). */
export async function lastJobSuccesses(): Promise<Map<string, Date>> {
  const { rows } = await db().pool.query<{ job: string; last_ok: Date }>({
    name: "job_last_successes",
    text: "SELECT job, max(finished_at) AS last_ok FROM job_runs WHERE ok GROUP BY job",
  });
  return new Map(rows.map((r) => [r.job, r.last_ok]));
}
