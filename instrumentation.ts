/**
 * Next.js calls register() once when a server instance starts. Background
 * jobs (approval expiry, audit checkpoints, payload retention) run only in the
 * Node.js server runtime, never during `next build`, once per tick across all
 * instances (lib/jobs/scheduler.ts).
 */
export async function register() {
  // eslint-disable-next-line no-restricted-syntax -- set by Next.js itself, not configuration
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NEXT_PHASE === "phase-production-build") return;
  const { registerAppJobs } = await import("./lib/jobs/app-jobs");
  const { startBackgroundJobs } = await import("./lib/jobs/scheduler");
  registerAppJobs();
  startBackgroundJobs();
}
