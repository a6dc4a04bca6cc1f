import { env } from "../env";
import { runApprovalExpirySweep } from "../approvals/expire";
import { runCheckpointSweep } from "../audit/create-checkpoint";
import { runRetentionSweep } from "../audit/retention";
import { runExportExpirySweep } from "../exports/requests";
import { recheckDomains } from "../sso/domains";
import { registerJob, registeredJobs, type JobSpec } from "./scheduler";

/**
 * The app's background jobs. Each runs once per tick across all instances
 * (see scheduler.ts); add new ones to this list.
 */
export function appJobs(): JobSpec[] {
  const e = env();
  return [
    {
      name: "approval-expiry",
      everyMs: Math.round(e.APPROVAL_SWEEP_INTERVAL_SECONDS * 1000),
      run: runApprovalExpirySweep,
    },
    {
      name: "audit-checkpoints",
      everyMs: Math.round(e.CHECKPOINT_INTERVAL_MINUTES * 60_000),
      run: () => runCheckpointSweep(),
    },
    {
      name: "payload-retention",
      everyMs: Math.round(e.RETENTION_SWEEP_INTERVAL_MINUTES * 60_000),
      run: () => runRetentionSweep(),
    },
    {
      // Audit export requests whose time ran out unrecorded become expired, with an audit event.
      name: "export-expiry",
      everyMs: 5 * 60_000,
      run: async () => {
        await runExportExpirySweep();
      },
    },
    {
      // Verified SSO domains are re-checked once a day each; the hourly sweep picks the due ones.
      name: "sso-domain-recheck",
      everyMs: 60 * 60_000,
      run: async () => {
        await recheckDomains();
      },
    },
  ];
}

/** Registers the app's jobs once (Next.js may call register() more than once in development). */
export function registerAppJobs(): void {
  const known = new Set(registeredJobs().map((j) => j.name));
  for (const job of appJobs()) if (!known.has(job.name)) registerJob(job);
}
