/**
 * The fault suite's machinery (scripts/chaos/run.ts): its own PostgreSQL,
 * production app servers it can kill, freeze and restart, an HTTP client that
 * records every answer, and the statistics the scenarios print.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import * as embedded from "../lib/embedded-pg";

export const root = path.resolve(import.meta.dirname, "../..");

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- PostgreSQL

export type Postgres = {
  opts: embedded.EmbeddedOptions;
  bins: embedded.Binaries & { cleanup: () => void };
  server: embedded.RunningServer | null;
};

export async function startPostgres(pgState: Postgres): Promise<void> {
  // After a kill -9, the old backends may take a moment to notice and exit; retry.
  let last: unknown;
  for (let i = 0; i < 20; i++) {
    try {
      pgState.server = await embedded.start(pgState.opts, pgState.bins);
      return;
    } catch (err) {
      last = err;
      await sleep(500);
    }
  }
  throw last;
}

/** The postmaster's process id (first line of postmaster.pid), or null when none runs. */
export function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * kill -9 of the whole server: the postmaster and every backend (its process
 * group; the launcher starts it detached), as a crash or the OOM killer would.
 */
export async function killPostgres(pgState: Postgres): Promise<void> {
  const pid = postmasterPid(pgState.opts.dataDir);
  if (!pid) throw new Error("no postmaster to kill");
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    process.kill(pid, "SIGKILL");
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await sleep(50);
  }
  pgState.server = null;
}

// ---------------------------------------------------------------- app servers

export type App = {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess;
  output: string[];
  env: Record<string, string>;
};

export function launchApp(name: string, port: number, env: Record<string, string>): App {
  const proc = spawn(process.execPath, ["server.mjs"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(port),
      HOST: "127.0.0.1",
      NEXTAUTH_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const keep = (b: Buffer) => {
    output.push(b.toString());
    if (output.length > 400) output.shift();
  };
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  return { name, port, url: `http://127.0.0.1:${port}`, proc, output, env };
}

export async function waitHealthy(app: App, timeoutMs = 120_000): Promise<number> {
  const t0 = performance.now();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.proc.exitCode !== null || app.proc.signalCode !== null) {
      throw new Error(`${app.name} exited (${app.proc.exitCode ?? app.proc.signalCode}):\n${app.output.join("")}`);
    }
    try {
      const r = await fetch(`${app.url}/api/health`, { signal: AbortSignal.timeout(3000) });
      if (r.status === 200) return performance.now() - t0;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${app.name} did not become healthy:\n${app.output.join("").slice(-4000)}`);
}

export function alive(app: App): boolean {
  return app.proc.exitCode === null && app.proc.signalCode === null;
}

export async function stopApp(app: App, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (!alive(app)) return;
  try {
    process.kill(app.proc.pid!, "SIGCONT");
  } catch {
    // gone
  }
  await new Promise<void>((resolve) => {
    app.proc.once("exit", () => resolve());
    app.proc.kill(signal);
    setTimeout(() => app.proc.kill("SIGKILL"), 10_000).unref();
  });
}

/** Resident set size of a process (kB), from /proc. */
export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

/**
 * The local TCP ports of a process's connections to `remotePort` (its
 * database connections): matched by socket inode between /proc/<pid>/fd and
 * /proc/net/tcp. pg_stat_activity.client_port names them on the server side.
 */
export function dbClientPorts(pid: number, remotePort: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = f[1]!.split(":");
      const remote = f[2]!.split(":");
      if (parseInt(remote[1]!, 16) === remotePort && inodes.has(f[9]!)) ports.add(parseInt(local[1]!, 16));
    }
  }
  return ports;
}

// ---------------------------------------------------------------- HTTP

export type Answer = {
  status: number; // 0: no answer (connection refused, reset, timeout)
  ms: number;
  startedAt: number; // performance.now() when sent (or due, for open-loop load)
  retryAfter: string | null;
  contentType: string | null;
  body: string;
  error?: string;
};

export type RequestSpec = {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
};

export async function request(base: string, spec: RequestSpec, dueAt?: number): Promise<Answer> {
  const startedAt = dueAt ?? performance.now();
  const headers: Record<string, string> = { ...spec.headers };
  if (spec.body !== undefined) headers["content-type"] = "application/json";
  try {
    const res = await fetch(`${base}${spec.path}`, {
      method: spec.method ?? "GET",
      headers,
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      redirect: "manual",
      signal: AbortSignal.timeout(spec.timeoutMs ?? 30_000),
    });
    const body = await res.text();
    return {
      status: res.status,
      ms: performance.now() - startedAt,
      startedAt,
      retryAfter: res.headers.get("retry-after"),
      contentType: res.headers.get("content-type"),
      body,
    };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return {
      status: 0,
      ms: performance.now() - startedAt,
      startedAt,
      retryAfter: null,
      contentType: null,
      body: "",
      error: e.cause?.code ?? e.name ?? e.message,
    };
  }
}

/**
 * Open-loop load: request i is due at start + i/rate and sent when due
 * whether or not earlier ones answered; its latency counts from when it was
 * due (no coordinated omission). `make(i)` picks the target and request.
 */
export async function openLoop(
  rate: number,
  durationMs: number,
  make: (i: number) => { base: string; spec: RequestSpec; tag?: string },
  onAnswer?: (a: Answer & { tag?: string; i: number }) => void,
  stop?: () => boolean,
): Promise<(Answer & { tag?: string; i: number })[]> {
  const out: (Answer & { tag?: string; i: number })[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now() + 20;
  const total = Math.round((rate * durationMs) / 1000);
  for (let i = 0; i < total; i++) {
    if (stop?.()) break;
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const { base, spec, tag } = make(i);
    inflight.push(
      request(base, spec, due).then((a) => {
        const rec = { ...a, tag, i };
        out.push(rec);
        onAnswer?.(rec);
      }),
    );
  }
  await Promise.all(inflight);
  return out;
}

/** Runs `jobs` with at most `concurrency` at once. */
export async function pool<T>(concurrency: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, jobs.length) }, async () => {
      while (next < jobs.length) {
        const k = next++;
        results[k] = await jobs[k]!();
      }
    }),
  );
  return results;
}

/** A real sign-in through next-auth's credentials endpoint; returns the session cookie. */
export async function signIn(base: string, email: string, password: string): Promise<string> {
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const csrfCookie = csrf.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const res = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie, origin: base },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }).toString(),
  });
  const session = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .find((c) => c.startsWith("next-auth.session-token="));
  if (!session) throw new Error(`sign-in of ${email} failed: ${res.status}`);
  return session;
}

/** A failed sign-in (wrong password) through the same endpoint; returns the status. */
export async function failedSignIn(base: string, email: string): Promise<Answer> {
  const t0 = performance.now();
  try {
    const csrf = await fetch(`${base}/api/auth/csrf`, { signal: AbortSignal.timeout(30_000) });
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const csrfCookie = csrf.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const res = await fetch(`${base}/api/auth/callback/credentials`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie, origin: base },
      body: new URLSearchParams({ csrfToken, email, password: "wrong-password-123", json: "true" }).toString(),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.text();
    return {
      status: res.status,
      ms: performance.now() - t0,
      startedAt: t0,
      retryAfter: res.headers.get("retry-after"),
      contentType: res.headers.get("content-type"),
      body,
    };
  } catch (err) {
    return {
      status: 0,
      ms: performance.now() - t0,
      startedAt: t0,
      retryAfter: null,
      contentType: null,
      body: "",
      error: (err as Error).message,
    };
  }
}

// ---------------------------------------------------------------- numbers

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export const ms = (v: number) => `${Math.round(v).toLocaleString("en")} ms`;

export function countBy<T>(items: T[], key: (t: T) => string | number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) {
    const k = String(key(it));
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

// ---------------------------------------------------------------- database checks (as the owner)

let ownerPool: pg.Pool | null = null;

export function owner(url?: string): pg.Pool {
  if (!ownerPool) {
    if (!url) throw new Error("owner pool not configured");
    ownerPool = new pg.Pool({ connectionString: url, max: 3 });
    ownerPool.on("error", () => {});
  }
  return ownerPool;
}

export async function closeOwner(): Promise<void> {
  await ownerPool?.end().catch(() => {});
  ownerPool = null;
}

/** Retries a query until the database answers again (after a restart). */
export async function ownerQuery<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  let last: unknown;
  for (let i = 0; i < 40; i++) {
    try {
      return (await owner().query<R>(text, values)).rows;
    } catch (err) {
      last = err;
      await sleep(250);
    }
  }
  throw last;
}

/**
 * The chain's structure, straight from the table: one event per seq from 1 to
 * the head, each linked to its predecessor's hash (no gap, no fork), and the
 * head row agreeing with the last event.
 */
export async function chainShape(orgId: string): Promise<{
  ok: boolean;
  events: number;
  head: number;
  gaps: number;
  forks: number;
  brokenLinks: number;
  detail: string;
}> {
  const [stats] = await ownerQuery<{ n: number; max: number | null; distinct_seq: number; distinct_prev: number }>(
    `SELECT count(*)::int AS n, max(seq)::int AS max, count(DISTINCT seq)::int AS distinct_seq,
            count(DISTINCT prev_hash)::int AS distinct_prev
     FROM audit_events WHERE org_id = $1`,
    [orgId],
  );
  const [head] = await ownerQuery<{ seq: number; hash: string }>(
    `SELECT seq::int, hash FROM audit_heads WHERE org_id = $1`,
    [orgId],
  );
  const [links] = await ownerQuery<{ broken: number }>(
    `SELECT count(*)::int AS broken FROM audit_events e
       LEFT JOIN audit_events p ON p.org_id = e.org_id AND p.seq = e.seq - 1
     WHERE e.org_id = $1 AND e.seq > 1 AND (p.hash IS NULL OR p.hash <> e.prev_hash)`,
    [orgId],
  );
  const [tip] = await ownerQuery<{ hash: string | null }>(
    `SELECT hash FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`,
    [orgId],
  );
  const n = stats!.n;
  const max = stats!.max ?? 0;
  const gaps = max - stats!.distinct_seq;
  const forks = n - stats!.distinct_prev;
  const headOk = head !== undefined && head.seq === max && (max === 0 || head.hash === tip?.hash);
  const ok = gaps === 0 && forks === 0 && links!.broken === 0 && headOk && n === max;
  return {
    ok,
    events: n,
    head: head?.seq ?? -1,
    gaps,
    forks,
    brokenLinks: links!.broken,
    detail: headOk ? "" : "the head row does not match the last event",
  };
}

// ---------------------------------------------------------------- reporting

export type Outcome = { name: string; pass: boolean; numbers: Record<string, unknown>; problems: string[] };

export function report(o: Outcome): Outcome {
  const mark = o.pass ? "PASS" : "FAIL";
  console.log(`\n[${mark}] ${o.name}`);
  for (const [k, v] of Object.entries(o.numbers)) {
    console.log(`    ${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
  }
  for (const p of o.problems) console.log(`    ✗ ${p}`);
  return o;
}

/**
 * Samples, every `everyMs`, how long the app's connections have been waiting
 * on a lock (pg_stat_activity: wait_event_type Lock, since the statement
 * started). The longest wait seen sizes lock_timeout (docs/RELIABILITY.md).
 */
export function lockWaitSampler(everyMs = 25): {
  stop: () => Promise<{ samples: number; waiting: number; maxMs: number }>;
} {
  let running = true;
  let samples = 0;
  let waiting = 0;
  let maxMs = 0;
  const loop = (async () => {
    while (running) {
      try {
        const [r] = (
          await owner().query<{ n: number; max: number | null }>(
            `SELECT count(*)::int AS n, max(extract(epoch FROM clock_timestamp() - query_start) * 1000)::float8 AS max
             FROM pg_stat_activity WHERE usename = 'warden_app' AND wait_event_type = 'Lock'`,
          )
        ).rows;
        samples++;
        waiting += r!.n;
        maxMs = Math.max(maxMs, r!.max ?? 0);
      } catch {
        // the database is away (a scenario killed it): skip the sample
      }
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { samples, waiting, maxMs };
    },
  };
}

/** Keeps a scenario's raw numbers (every answer's timing) in .warden/chaos-results/ for a closer look. */
export function saveResult(name: string, data: unknown): string {
  const dir = path.join(root, ".warden", "chaos-results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(data));
  return file;
}
