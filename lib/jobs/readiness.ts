import { readdir } from "node:fs/promises";
import path from "node:path";
import { lastJobSuccesses } from "../db/jobs";
import { lookupAppliedMigrations } from "../db/lookup";
import { readiness, type Readiness } from "../db/readiness";
import { appJobs } from "./app-jobs";
import { backgroundJobsStarted } from "./scheduler";

/**
 * Readiness as /api/ready and /api/health/ready report it: the pools, the
 * bulkheads and lock waits (lib/db/readiness.ts), plus
 *
 * - migrations: every migration shipped in prisma/migrations is applied
 *   (pending ones make the instance unready: its code expects a schema the
 *   database does not have yet). When the files are not beside the server
 *   (an image without them), this is reported as unknown and does not gate.
 * - jobs: each of the app's background jobs succeeded somewhere in the
 *   cluster within max(3 intervals, 2 minutes) (counted from this process's
 *   start while it has never run); an overdue job makes the instance unready.
 *
 * Counts, names and times only: no tenant data.
 */
export type FullReadiness = Readiness & {
  migrations: { ok: boolean | null; applied: number; pending: string[] };
  jobs: {
    ok: boolean;
    scheduler_started: boolean;
    overdue: string[];
    last_success: Record<string, string | null>;
  };
};

const MIGRATION_FILE = /^(\d{14})_[a-z0-9_]+\.sql$/;

async function shippedMigrations(): Promise<string[] | null> {
  try {
    const files = await readdir(path.join(process.cwd(), "prisma", "migrations"));
    return files.flatMap((f) => MIGRATION_FILE.exec(f)?.[1] ?? []).sort();
  } catch {
    return null;
  }
}

async function migrationsState(): Promise<FullReadiness["migrations"]> {
  const [shipped, applied] = await Promise.all([shippedMigrations(), lookupAppliedMigrations()]);
  if (shipped === null) return { ok: null, applied: applied.length, pending: [] };
  const done = new Set(applied);
  const pending = shipped.filter((v) => !done.has(v));
  return { ok: pending.length === 0, applied: applied.length, pending };
}

async function jobsState(now: number): Promise<FullReadiness["jobs"]> {
  const successes = await lastJobSuccesses();
  const since = performance.timeOrigin;
  const overdue: string[] = [];
  const last: Record<string, string | null> = {};
  for (const job of appJobs()) {
    const ok = successes.get(job.name) ?? null;
    last[job.name] = ok?.toISOString() ?? null;
    const allowance = Math.max(3 * job.everyMs, 120_000);
    if (now - (ok?.getTime() ?? since) > allowance) overdue.push(job.name);
  }
  return { ok: overdue.length === 0, scheduler_started: backgroundJobsStarted(), overdue, last_success: last };
}

async function settle<T>(p: Promise<T>, fallback: T): Promise<T> {
  try {
    return await p;
  } catch {
    return fallback;
  }
}

export async function fullReadiness(now = Date.now()): Promise<FullReadiness> {
  const [base, migrations, jobs] = await Promise.all([
    readiness(),
    settle(migrationsState(), { ok: false, applied: 0, pending: [] }),
    settle(jobsState(now), { ok: false, scheduler_started: backgroundJobsStarted(), overdue: [], last_success: {} }),
  ]);
  return { ...base, ok: base.ok && migrations.ok !== false && jobs.ok, migrations, jobs };
}
