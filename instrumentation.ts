/**
 * Next.js calls register() once when a server instance starts, before it
 * serves requests. In the Node.js server runtime (never during `next build`):
 *
 * 1. the app refuses to run as a database role that row-level security does
 *    not confine (superuser, BYPASSRLS, or able to SET ROLE to one); if the
 *    database is not reachable yet, the check repeats until it is;
 * 2. background jobs start, once per tick across all instances (lib/jobs).
 */
export async function register() {
  // eslint-disable-next-line no-restricted-syntax -- set by Next.js itself, not configuration
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NEXT_PHASE === "phase-production-build") return;
  const { checkAppRole } = await import("./lib/db/role-check");
  const { log } = await import("./lib/log");

  const refuse = (problem: string) => {
    console.error(`Warden refuses to start: ${problem}`);
    log().fatal({ problem }, "refusing to start: the database role bypasses row-level security");
    process.exit(1);
  };
  const check = async (): Promise<boolean> => {
    try {
      const problem = await checkAppRole();
      if (problem) refuse(problem);
      return true;
    } catch (err) {
      log().warn({ err }, "cannot check the app's database role yet (database unreachable); retrying every 5 s");
      return false;
    }
  };
  if (!(await check())) {
    const retry = setInterval(() => {
      void check().then((done) => done && clearInterval(retry));
    }, 5000);
    retry.unref();
  }

  const { registerAppJobs } = await import("./lib/jobs/app-jobs");
  const { startBackgroundJobs } = await import("./lib/jobs/scheduler");
  registerAppJobs();
  startBackgroundJobs();
  const { env } = await import("./lib/env");
  if (env().WARDEN_ALERT_WORKERS) {
    const { startAlertWorkers } = await import("./lib/alerts/worker");
    await startAlertWorkers();
  }
}
