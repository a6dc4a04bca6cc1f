import { Logger, run, type Runner } from "graphile-worker";
import { env } from "../env";
import { log } from "../log";
import { SECURITY_NOTICE_TASK, sendQueuedSecurityNotice } from "../notifications/security-notices";
import { deliver } from "./deliver";
import { DELIVERY_TASK } from "./deliveries";
import { runAlertEvaluation } from "./evaluate-alerts";

/**
 * The alert evaluator loop and the delivery worker (alert deliveries and
 * security notices), in every app instance.
 * Several instances are safe together: evaluation takes each organization's
 * cursor row FOR UPDATE SKIP LOCKED (one instance per organization at a
 * time), and graphile-worker hands each job to one worker.
 */
let evaluating = false;
let timer: NodeJS.Timeout | undefined;
let runner: Runner | undefined;
let stopped = true;

const workerLogger = new Logger((scope) => (level, message, meta) => {
  if (level === "error" || level === "warning") log().warn({ scope, meta }, `graphile-worker: ${message}`);
});

export async function startAlertWorkers(opts: { deliveries?: boolean } = {}): Promise<void> {
  if (!stopped) return;
  stopped = false;
  const loop = async () => {
    if (stopped) return;
    if (!evaluating) {
      evaluating = true;
      try {
        await runAlertEvaluation();
      } catch (err) {
        log().error({ err }, "alert evaluation pass failed");
      } finally {
        evaluating = false;
      }
    }
    if (!stopped) {
      timer = setTimeout(() => void loop(), env().ALERT_EVALUATION_INTERVAL_MS);
      timer.unref();
    }
  };
  void loop();
  if (opts.deliveries === false) return;
  runner = await run({
    connectionString: env().APP_DATABASE_URL,
    concurrency: 4,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: workerLogger,
    taskList: {
      [DELIVERY_TASK]: async (payload) => {
        const p = payload as { org_id?: unknown; delivery_id?: unknown };
        if (typeof p.org_id !== "string" || typeof p.delivery_id !== "string") return;
        await deliver(p.org_id, p.delivery_id);
      },
      [SECURITY_NOTICE_TASK]: async (payload) => sendQueuedSecurityNotice(payload),
    },
  });
  log().info("alert evaluator and delivery worker started");
}

export async function stopAlertWorkers(): Promise<void> {
  stopped = true;
  if (timer) clearTimeout(timer);
  const r = runner;
  runner = undefined;
  await r?.stop();
  // Let a pass in flight finish, so callers can close the pools after this.
  for (let i = 0; i < 200 && evaluating; i++) await new Promise((res) => setTimeout(res, 25));
}
