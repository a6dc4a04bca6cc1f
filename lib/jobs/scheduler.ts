import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { claimJobTick, finishJobRun, renewJobLease } from "../db/jobs";
import { log } from "../log";

/**
 * Background jobs for any number of app instances on one database.
 *
 *   registerJob({ name: "alert-evaluation", everyMs: 60_000, run: evaluateAlerts });
 *
 * A job runs once per tick across all instances (scope "cluster", the
 * default): time is cut into ticks of `everyMs` on the database's clock, and
 * every instance tries to claim the current tick in `job_runs`; exactly one
 * wins and runs it. The winner holds a lease, renewed while the run lasts, so a
 * job never overlaps itself anywhere; a run that outlasts its tick makes the
 * next tick(s) pass without a run. If the instance dies mid-run, the lease
 * lapses (LEASE_MS) and the job is free again.
 *
 * Scope "instance" runs the job on every instance every `everyMs` (never
 * overlapping itself within the instance). Use it only for work that is safe
 * to run concurrently and shares itself out, such as draining a queue with
 * FOR UPDATE SKIP LOCKED.
 *
 * Jobs are sweeps: a failed run is logged and recorded; the next tick tries
 * again.
 */
export type JobScope = "cluster" | "instance";

export type JobSpec = {
  /** Lower-case letters, digits and dashes; unique. */
  name: string;
  /** Tick length in milliseconds (at least 1000). */
  everyMs: number;
  run: () => Promise<unknown>;
  scope?: JobScope;
};

/** Lease of a running cluster job, renewed every third of it. */
const LEASE_MS = 30_000;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** This process, as recorded in job_runs.instance. */
export const INSTANCE_ID = `${hostname().slice(0, 100)}:${process.pid}:${randomBytes(4).toString("hex")}`;

const jobs = new Map<string, JobSpec>();
const timers = new Set<NodeJS.Timeout>();
let started = false;
/** Bumped by stop: loops of an earlier start end instead of running twice after a restart. */
let generation = 0;

export function registerJob(job: JobSpec): void {
  if (!NAME.test(job.name)) throw new Error(`job name ${JSON.stringify(job.name)}: use a-z, 0-9 and dashes`);
  if (!Number.isInteger(job.everyMs) || job.everyMs < 1000)
    throw new Error(`job ${job.name}: everyMs must be an integer ≥ 1000`);
  if (jobs.has(job.name)) throw new Error(`job ${job.name} is already registered`);
  jobs.set(job.name, job);
  if (started) schedule(job);
}

export function registeredJobs(): JobSpec[] {
  return [...jobs.values()];
}

function later(ms: number, fn: () => void): void {
  const t = setTimeout(() => {
    timers.delete(t);
    fn();
  }, ms);
  t.unref();
  timers.add(t);
}

const jitter = (everyMs: number) => Math.floor(Math.random() * Math.min(1000, everyMs / 10));

async function runLogged(job: JobSpec): Promise<string | null> {
  try {
    await job.run();
    return null;
  } catch (err) {
    log().error({ err, job: job.name }, "background job failed");
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * One attempt of a cluster job on this instance: claims the current tick and,
 * if it won, runs the job under a renewed lease and records the outcome.
 * Returns the claim (and whether it ran) so the caller can sleep until the
 * next tick. Exported for tests that play several instances in one process.
 */
export async function runTickIfClaimed(
  job: Pick<JobSpec, "name" | "everyMs" | "run">,
  instance: string = INSTANCE_ID,
): Promise<{ ran: boolean; tick: number; msToNextTick: number }> {
  const claim = await claimJobTick(job.name, job.everyMs, instance, LEASE_MS);
  if (!claim.claimed) return { ran: false, tick: claim.tick, msToNextTick: claim.msToNextTick };
  const renew = setInterval(() => {
    renewJobLease(job.name, claim.tick, LEASE_MS)
      .then((held) => {
        if (!held) log().warn({ job: job.name, tick: claim.tick }, "background job lost its lease while running");
      })
      .catch((err: unknown) => log().warn({ err, job: job.name }, "could not renew a background job's lease"));
  }, LEASE_MS / 3);
  renew.unref();
  let error: string | null;
  try {
    error = await runLogged(job as JobSpec);
  } finally {
    clearInterval(renew);
  }
  try {
    await finishJobRun(job.name, claim.tick, error === null, error);
  } catch (err) {
    // The lease lapses on its own; the next claim closes the run as failed.
    log().warn({ err, job: job.name }, "could not record the end of a background job run");
  }
  return { ran: true, tick: claim.tick, msToNextTick: claim.msToNextTick };
}

function scheduleCluster(job: JobSpec): void {
  const gen = generation;
  const attempt = async () => {
    if (!started || gen !== generation) return;
    let wait: number;
    try {
      const r = await runTickIfClaimed(job);
      // After a run, look again at once: the claim answers with a fresh time to the next tick.
      wait = r.ran ? 0 : r.msToNextTick + jitter(job.everyMs);
    } catch (err) {
      log().warn({ err, job: job.name }, "could not claim a background job tick; retrying");
      wait = Math.min(job.everyMs, 10_000);
    }
    later(wait, () => void attempt());
  };
  // First attempt soon after start: the current tick runs now if nobody ran it yet.
  later(jitter(job.everyMs), () => void attempt());
}

function scheduleInstance(job: JobSpec): void {
  const gen = generation;
  const attempt = async () => {
    if (!started || gen !== generation) return;
    await runLogged(job);
    later(job.everyMs, () => void attempt());
  };
  later(Math.min(job.everyMs, 5000), () => void attempt());
}

function schedule(job: JobSpec): void {
  if ((job.scope ?? "cluster") === "cluster") scheduleCluster(job);
  else scheduleInstance(job);
}

/** Starts every registered job (and any registered later). Idempotent. */
export function startBackgroundJobs(): void {
  if (started) return;
  started = true;
  for (const job of jobs.values()) schedule(job);
  log().info(
    { jobs: [...jobs.values()].map((j) => `${j.name}/${j.scope ?? "cluster"}/${j.everyMs}ms`), instance: INSTANCE_ID },
    "background jobs started",
  );
}

/** Whether this process schedules the background jobs (readiness reports it). */
export function backgroundJobsStarted(): boolean {
  return started;
}

/** Stops scheduling (runs in progress finish). Registered jobs stay registered. */
export function stopBackgroundJobs(): void {
  started = false;
  generation += 1;
  for (const t of timers) clearTimeout(t);
  timers.clear();
}
