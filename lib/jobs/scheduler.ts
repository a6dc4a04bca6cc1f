import { env } from "../env";
import { log } from "../log";
import { runApprovalExpirySweep } from "../approvals/expire";
import { runCheckpointSweep } from "../audit/create-checkpoint";
import { runRetentionSweep } from "../audit/retention";

/**
 * In-process periodic jobs. Every app instance runs them; they are safe to
 * run concurrently because each works inside per-organization tenant
 * transactions that lock what they change (FOR UPDATE SKIP LOCKED), so two
 * instances never expire the same approval twice. A job never overlaps itself
 * within one instance.
 */
type Job = { name: string; everyMs: number; run: () => Promise<unknown> };

const jobs: Job[] = [];
const timers: NodeJS.Timeout[] = [];
let started = false;

export function registerJob(job: Job): void {
  jobs.push(job);
  if (started) schedule(job);
}

function schedule(job: Job): void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await job.run();
    } catch (err) {
      log().error({ err, job: job.name }, "background job failed");
    } finally {
      running = false;
    }
  };
  const t = setInterval(() => void tick(), job.everyMs);
  t.unref();
  timers.push(t);
  // First run soon after start, not a full interval later.
  setTimeout(() => void tick(), Math.min(job.everyMs, 5000)).unref();
}

function builtInJobs(): Job[] {
  return [
    { name: "approval-expiry", everyMs: env().APPROVAL_SWEEP_INTERVAL_SECONDS * 1000, run: runApprovalExpirySweep },
    { name: "audit-checkpoints", everyMs: env().CHECKPOINT_INTERVAL_MINUTES * 60_000, run: () => runCheckpointSweep() },
    {
      name: "payload-retention",
      everyMs: env().RETENTION_SWEEP_INTERVAL_MINUTES * 60_000,
      run: () => runRetentionSweep(),
    },
  ];
}

export function startBackgroundJobs(): void {
  if (started) return;
  started = true;
  jobs.unshift(...builtInJobs());
  for (const job of jobs) schedule(job);
  log().info({ jobs: jobs.map((j) => j.name) }, "background jobs started");
}

export function stopBackgroundJobs(): void {
  for (const t of timers.splice(0)) clearInterval(t);
  started = false;
  jobs.splice(0);
}
