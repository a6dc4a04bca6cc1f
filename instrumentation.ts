/**
 * Next.js calls register() once when a server instance starts, before it
 * serves requests. In the Node.js server runtime (never during `next build`):
 *
 * 1. the app refuses to run as a database role that row-level security does
 *    not confine (superuser, BYPASSRLS, or able to SET ROLE to one); if the
 *    database is not reachable yet, the check repeats until it is;
 * 2. background jobs start, once per tick across all instances (lib/jobs),
 *    and stop being scheduled when the server is told to shut down.
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
  const { startBackgroundJobs, stopBackgroundJobs } = await import("./lib/jobs/scheduler");
  registerAppJobs();
  startBackgroundJobs();
  const { env } = await import("./lib/env");
  const { startAlertWorkers, stopAlertWorkers } = await import("./lib/alerts/worker");
  if (env().WARDEN_ALERT_WORKERS) await startAlertWorkers();

  // server.mjs drains the HTTP server on SIGTERM/SIGINT; no new background run starts meanwhile
  // (runs in progress finish, or roll back when the process exits).
  const stop = () => {
    stopBackgroundJobs();
    void stopAlertWorkers().catch((err: unknown) => log().warn({ err }, "stopping the alert workers failed"));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
