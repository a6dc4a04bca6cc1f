/**
 * Next.js calls register() once when a server instance starts. Background
 * jobs (approval expiry; audit checkpoints and retention join them) run only
 * in the Node.js server runtime, never during `next build`.
 */
export async function register() {
  // eslint-disable-next-line no-restricted-syntax -- set by Next.js itself, not configuration
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NEXT_PHASE === "phase-production-build") return;
  const { startBackgroundJobs } = await import("./lib/jobs/scheduler");
  startBackgroundJobs();
  const { env } = await import("./lib/env");
  if (env().WARDEN_ALERT_WORKERS) {
    const { startAlertWorkers } = await import("./lib/alerts/worker");
    await startAlertWorkers();
  }
}
