/**
 * Runs a command with a PostgreSQL to use, and stops what it started after.
 *
 *   node --import tsx scripts/with-db.ts [--embedded] [--ephemeral] -- COMMAND [ARGS...]
 *
 * Which database (the first that applies):
 *   1. DATABASE_URL in the environment: that server, as it is.
 *   2. WARDEN_EMBEDDED_DB=1 (environment, or remembered in .warden/local.env),
 *      or --embedded: the embedded PostgreSQL 18 (scripts/lib/embedded-pg.ts).
 *      WARDEN_EMBEDDED_DB=0 turns the embedded server off.
 *   3. The local server at the default address, if it answers.
 *   4. Nothing answers: the embedded PostgreSQL.
 *
 * The embedded server keeps its data in .warden/pgdata, listens on 127.0.0.1 at
 * WARDEN_EMBEDDED_PORT (default: the port it used last time, else a free one),
 * and its owner URL is remembered in .warden/local.env as DATABASE_URL (with
 * WARDEN_EMBEDDED_DB=1, so the next run uses it again). --ephemeral uses a
 * throwaway cluster instead (temporary directory, free port, nothing kept).
 *
 * The command gets DATABASE_URL (the owner URL, database `warden`),
 * WARDEN_DB_LABEL (for banners), WARDEN_DB_EMBEDDED=1|0 and WARDEN_DB_READY=1.
 * SIGINT, SIGTERM and SIGHUP are passed on to it; when it exits, the embedded
 * server (if this run started it) is shut down, then this exits with the
 * command's status.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { canConnect, DEFAULT_OWNER_URL, withDatabase } from "./lib/db-admin";
import * as embedded from "./lib/embedded-pg";
import { generateSecret, LOCAL_ENV_FILE, readEnvFile, writeEnvFile } from "./lib/local-env";

const root = path.resolve(import.meta.dirname, "..");
const DATA_DIR = path.join(root, ".warden", "pgdata");
const LOG_FILE = path.join(root, ".warden", "embedded-postgres.log");

function usage(): never {
  console.error("usage: with-db.ts [--embedded] [--ephemeral] -- COMMAND [ARGS...]");
  process.exit(2);
}

const argv = process.argv.slice(2);
const sep = argv.indexOf("--");
if (sep < 0 || sep === argv.length - 1) usage();
const flags = new Set(argv.slice(0, sep));
for (const f of flags) if (f !== "--embedded" && f !== "--ephemeral") usage();
const command = argv.slice(sep + 1);

function safeLabel(url: string): string {
  const u = new URL(url);
  return `PostgreSQL at ${u.hostname}:${u.port || 5432} as ${decodeURIComponent(u.username) || "(default user)"}`;
}

function portSetting(): number | undefined {
  const raw = process.env.WARDEN_EMBEDDED_PORT;
  if (raw === undefined || raw === "") return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`WARDEN_EMBEDDED_PORT must be a TCP port (1-65535), not ${JSON.stringify(raw)}`);
  }
  return port;
}

type Choice = { url: string; label: string; embedded: boolean; stop: () => Promise<void> };

async function startEmbedded(ephemeral: boolean): Promise<Choice> {
  const bins = embedded.reachableBinaries(embedded.binaries());
  if (ephemeral) {
    const dataDir = mkdtempSync(path.join(tmpdir(), "warden-pg-"));
    rmSync(dataDir, { recursive: true });
    const opts = {
      dataDir,
      port: portSetting() ?? (await embedded.freePort()),
      password: generateSecret("WARDEN_APP_DB_PASSWORD"),
      logFile: path.join(root, ".warden", "embedded-postgres-ephemeral.log"),
      throwaway: true,
    };
    embedded.initialise(opts, bins);
    const server = await embedded.start(opts, bins);
    return {
      url: embedded.ownerUrl(opts),
      label: `embedded PostgreSQL ${bins.version} (throwaway cluster, 127.0.0.1:${opts.port})`,
      embedded: true,
      stop: async () => {
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
        bins.cleanup();
      },
    };
  }

  const dataDir = embedded.resolveDataDir(DATA_DIR);
  const stored = readEnvFile(LOCAL_ENV_FILE);
  const remembered = stored.WARDEN_EMBEDDED_DB === "1" && stored.DATABASE_URL ? new URL(stored.DATABASE_URL) : null;
  if (embedded.isInitialised(dataDir) && !remembered) {
    throw new Error(
      `${dataDir} holds an embedded PostgreSQL but ${LOCAL_ENV_FILE} no longer has its DATABASE_URL ` +
        "(and so its password). Restore that line, or move the directory away to start afresh.",
    );
  }
  const password = remembered ? decodeURIComponent(remembered.password) : generateSecret("WARDEN_APP_DB_PASSWORD");
  const port = portSetting() ?? (remembered ? Number(remembered.port) : await embedded.freePort());
  const opts = { dataDir: DATA_DIR, port, password, logFile: LOG_FILE };
  if (embedded.initialise(opts, bins))
    console.log(`  initialised an embedded PostgreSQL ${bins.version} in ${DATA_DIR}`);
  const server = await embedded.start(opts, bins);
  const url = embedded.ownerUrl(opts);
  if (stored.DATABASE_URL !== url || stored.WARDEN_EMBEDDED_DB !== "1") {
    writeEnvFile(LOCAL_ENV_FILE, { ...readEnvFile(LOCAL_ENV_FILE), DATABASE_URL: url, WARDEN_EMBEDDED_DB: "1" });
  }
  return {
    url,
    label:
      `embedded PostgreSQL ${bins.version} (data in ${path.relative(root, dataDir).startsWith("..") ? dataDir : path.relative(root, dataDir)}, ` +
      `127.0.0.1:${port}${server.startedHere ? "" : ", already running"})`,
    embedded: true,
    stop: async () => {
      await server.stop();
      bins.cleanup();
    },
  };
}

async function choose(): Promise<Choice> {
  const none = async () => {};
  if (flags.has("--embedded")) return startEmbedded(flags.has("--ephemeral"));
  if (process.env.DATABASE_URL) {
    return { url: process.env.DATABASE_URL, label: safeLabel(process.env.DATABASE_URL), embedded: false, stop: none };
  }
  const setting = process.env.WARDEN_EMBEDDED_DB ?? readEnvFile(LOCAL_ENV_FILE).WARDEN_EMBEDDED_DB;
  if (setting === "1") return startEmbedded(flags.has("--ephemeral"));
  if (setting === "0" || (await canConnect(DEFAULT_OWNER_URL))) {
    return { url: DEFAULT_OWNER_URL, label: safeLabel(DEFAULT_OWNER_URL), embedded: false, stop: none };
  }
  console.log(`  no PostgreSQL answers at ${new URL(DEFAULT_OWNER_URL).host}: using the embedded PostgreSQL`);
  return startEmbedded(flags.has("--ephemeral"));
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let child: ChildProcess | null = null;
let early: NodeJS.Signals | null = null;
for (const s of SIGNALS) {
  process.on(s, () => {
    if (!child) early = s;
    else if (child.exitCode === null && child.signalCode === null) child.kill(s);
  });
}

async function main(): Promise<number> {
  const db = await choose();
  if (early) {
    // Interrupted while the database was starting: stop it again, run nothing.
    await db.stop();
    return 130;
  }
  console.log(`  database: ${db.label}`);
  const proc = spawn(command[0]!, command.slice(1), {
    stdio: "inherit",
    env: {
      ...process.env,
      DATABASE_URL: withDatabase(db.url, new URL(db.url).pathname.slice(1) || "warden"),
      WARDEN_DB_LABEL: db.label,
      WARDEN_DB_EMBEDDED: db.embedded ? "1" : "0",
      WARDEN_DB_READY: "1",
    },
  });
  child = proc;
  const status = await new Promise<number>((resolve) => {
    proc.once("error", (err) => {
      console.error(`with-db: cannot run ${command[0]}: ${err.message}`);
      resolve(127);
    });
    proc.once("exit", (code, signal) => {
      const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
      resolve(code ?? 128 + (signal ? (signals[signal] ?? 9) : 0));
    });
  });
  if (db.embedded) {
    try {
      await db.stop();
    } catch (err) {
      console.error(`with-db: stopping the embedded PostgreSQL failed: ${(err as Error).message}`);
    }
  }
  return status;
}

main().then(
  (status) => process.exit(status),
  (err: unknown) => {
    console.error(`with-db: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
