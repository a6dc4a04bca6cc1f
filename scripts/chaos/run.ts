/**
 * The fault suite (`npm run chaos`; not part of `npm test`). docs/RELIABILITY.md
 * has what it checks, its numbers and how to read them.
 *
 * It brings everything it breaks: its own PostgreSQL (the embedded one from
 * npm, a fresh data directory in the temporary directory, port 55433 or
 * CHAOS_PG_PORT) and its own production app servers (`node server.mjs` on
 * CHAOS_PORT.. CHAOS_PORT+7, default 3222; `next build` first when .next has
 * no build). Nothing else on the machine is touched.
 *
 * Settings (environment):
 *   CHAOS_ONLY=pg-kill,app-kill,isolation,writers,soak,sigstop   a subset, in this order
 *   CHAOS_SOAK_SECONDS (600)  CHAOS_SOAK_RATE (20/s)
 *   CHAOS_PG_ROUNDS (3)  CHAOS_PG_RATE (20/s)  CHAOS_APP_ROUNDS (3)  CHAOS_APP_RATE (40/s)
 *   CHAOS_ISOLATION_REQUESTS (1000 per organization)  CHAOS_FREEZE_SECONDS (15)
 *   CHAOS_KEEP_DATA=1 keeps the PostgreSQL data directory.
 *
 * Exit code: 0 when every scenario passed, 1 otherwise.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as embedded from "../lib/embedded-pg";
import { appUrl, configureAppRole, ensureDatabase, migrate, migrateQueue } from "../lib/db-admin";
import { loadSecrets } from "../lib/local-env";
import { closeOwner, launchApp, owner, root, stopApp, waitHealthy, type App, type Outcome, type Postgres } from "./lib";

const SCENARIOS = ["pg-kill", "app-kill", "isolation", "writers", "soak", "sigstop"] as const;

async function main(): Promise<number> {
  const only = (process.env.CHAOS_ONLY ?? SCENARIOS.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of only) {
    if (!(SCENARIOS as readonly string[]).includes(s))
      throw new Error(`unknown scenario ${s} (${SCENARIOS.join(", ")})`);
  }
  const basePort = Number(process.env.CHAOS_PORT ?? 3222);
  const pgPort = Number(process.env.CHAOS_PG_PORT ?? 55433);
  const lockTimeoutMs = 2000;
  const idleInTxTimeoutMs = 10_000;

  if (!existsSync(path.join(root, ".next", "BUILD_ID"))) {
    console.log("==> no production build in .next: running next build (a few minutes)");
    const r = spawnSync("npx", ["--no-install", "next", "build"], { cwd: root, stdio: "inherit" });
    if (r.status !== 0) throw new Error("next build failed");
  }

  // Its own PostgreSQL.
  const bins = embedded.reachableBinaries(embedded.binaries());
  const wanted = mkdtempSync(path.join(tmpdir(), "warden-chaos-pg-"));
  rmSync(wanted, { recursive: true });
  const dataDir = embedded.resolveDataDir(wanted);
  const pgState: Postgres = {
    opts: {
      dataDir,
      port: pgPort,
      password: randomBytes(18).toString("hex"),
      logFile: path.join(root, ".warden", "chaos-postgres.log"),
    },
    bins,
    server: null,
  };
  console.log(`==> PostgreSQL ${bins.version} in ${dataDir}, 127.0.0.1:${pgPort} (log .warden/chaos-postgres.log)`);
  embedded.initialise(pgState.opts, bins);
  const apps: App[] = [];
  const outcomes: Outcome[] = [];
  try {
    pgState.server = await embedded.start(pgState.opts, bins);
    if (!pgState.server.startedHere) throw new Error(`something already answers on port ${pgPort}`);
    const ownerUrl = embedded.ownerUrl(pgState.opts, "warden_chaos_test");
    await ensureDatabase(ownerUrl, { recreate: true });
    migrate(ownerUrl);
    await migrateQueue(ownerUrl);
    const appPassword = randomBytes(18).toString("hex");
    await configureAppRole(ownerUrl, appPassword);
    const secrets = loadSecrets(process.env);
    const appEnv: Record<string, string> = {
      APP_DATABASE_URL: appUrl(ownerUrl, appPassword),
      NEXTAUTH_SECRET: secrets.NEXTAUTH_SECRET!,
      WARDEN_ENCRYPTION_KEYS: secrets.WARDEN_ENCRYPTION_KEYS!,
      WARDEN_AUDIT_SIGNING_KEYS: secrets.WARDEN_AUDIT_SIGNING_KEYS!,
      DB_POOL_MAX: "10",
      DB_LOCK_TIMEOUT_MS: String(lockTimeoutMs),
      DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: String(idleInTxTimeoutMs),
      // The suite measures faults, not the default throttles.
      RATE_LIMIT_KEY_PER_MINUTE: "1000000",
      RATE_LIMIT_ORG_PER_MINUTE: "10000000",
      APPROVAL_SWEEP_INTERVAL_SECONDS: "5",
      LOG_LEVEL: "error",
    };
    // This process builds fixtures and verifies chains through the app's own code.
    Object.assign(process.env, {
      ...appEnv,
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      DB_POOL_MAX: "4",
      TEST_OWNER_DATABASE_URL: ownerUrl,
    });
    owner(ownerUrl);
    const scenarios = await import("./scenarios");

    const app = launchApp("main", basePort, appEnv);
    apps.push(app);
    const started = await waitHealthy(app);
    console.log(`==> app (production build) on ${app.url}, healthy after ${Math.round(started)} ms`);
    const ctx = {
      pg: pgState,
      app,
      appEnv,
      port: (k: number) => basePort + k,
      settings: { lockTimeoutMs, idleInTxTimeoutMs },
    };
    const run: Record<(typeof SCENARIOS)[number], () => Promise<Outcome>> = {
      "pg-kill": () => scenarios.postgresKill(ctx),
      "app-kill": () => scenarios.appKill(ctx),
      isolation: () => scenarios.isolation(ctx),
      writers: () => scenarios.writers(ctx),
      soak: () => scenarios.soak(ctx),
      sigstop: () => scenarios.frozenInstance(ctx),
    };
    for (const name of SCENARIOS) {
      if (!only.includes(name)) continue;
      console.log(`\n==> ${name}`);
      try {
        outcomes.push(await run[name]());
      } catch (err) {
        outcomes.push({
          name,
          pass: false,
          numbers: {},
          problems: [`crashed: ${(err as Error).stack ?? String(err)}`],
        });
        console.log(`\n[FAIL] ${name}\n    ✗ crashed: ${(err as Error).stack ?? String(err)}`);
      }
    }
  } finally {
    for (const a of apps) await stopApp(a);
    await closeOwner();
    const { closeDb } = await import("@/lib/db/client");
    await closeDb().catch(() => {});
    await pgState.server?.stop().catch(() => {});
    if (!pgState.server) {
      // Killed and never restarted (a crash mid-scenario): make sure nothing is left running.
      const pid = (await import("./lib")).postmasterPid(dataDir);
      if (pid) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
    if (process.env.CHAOS_KEEP_DATA !== "1") rmSync(dataDir, { recursive: true, force: true });
    bins.cleanup();
  }
  console.log("\n==> summary");
  for (const o of outcomes) console.log(`  ${o.pass ? "PASS" : "FAIL"}  ${o.name}`);
  return outcomes.length > 0 && outcomes.every((o) => o.pass) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
