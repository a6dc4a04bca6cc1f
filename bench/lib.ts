/** Shared helpers for the benchmarks (not a test suite: nothing here asserts timing). */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { provisionMember } from "../lib/members/provision-member";
import { createOrganization } from "../lib/orgs/create-organization";
import { userContext, type OrgContext } from "../lib/rbac/context";
import type { Role } from "../lib/rbac/permissions";

type OrgRef = { id: string; slug: string; name: string };

/** A member of a bench organization with this role, and the context a signed-in session of theirs gets. */
export async function benchMember(org: OrgRef, role: Role): Promise<{ userId: string; ctx: OrgContext }> {
  const email = `${role}@${org.slug}.test`;
  const { userId } = await provisionMember({ orgId: org.id, email, name: role, role, password: "bench-password-123" });
  const ctx = userContext({
    requestId: "bench",
    ip: "127.0.0.1",
    userAgent: "bench",
    principal: {
      kind: "user",
      user: {
        sessionId: "00000000-0000-4000-8000-000000000000",
        userId,
        email,
        name: role,
        authMethods: ["pwd"],
        createdAt: new Date(),
        mfaPending: false,
        factors: [],
      },
    },
    org,
    role,
  });
  return { userId, ctx };
}

/** A fresh organization for one benchmark run, and its admin's context (keys act for a person). */
export async function benchOrganization(prefix: string, name: string): Promise<{ org: OrgRef; ctx: OrgContext }> {
  const org = await createOrganization({ slug: `${prefix}-${Date.now().toString(36)}`, name });
  return { org, ctx: (await benchMember(org, "admin")).ctx };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function summarize(samplesMs: number[]) {
  const s = [...samplesMs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return {
    n: s.length,
    mean,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1]!,
  };
}

export const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);

export function saveResult(name: string, data: unknown): string {
  const dir = path.resolve(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

/** Starts the production server (server.mjs) and waits for /api/health. */
export async function startServer(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["server.mjs"], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1", NODE_ENV: "production", LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (r.ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill();
  throw new Error("server did not start (did `next build` run?)");
}

export type LoadResult = {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
};

export async function load(opts: {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationSeconds: number;
  overallRate?: number;
  requests?: autocannon.Request[];
}): Promise<LoadResult> {
  const r = await autocannon({
    url: opts.url,
    method: opts.method ?? "GET",
    headers: opts.headers,
    body: opts.body,
    connections: opts.connections,
    duration: opts.durationSeconds,
    overallRate: opts.overallRate,
    requests: opts.requests,
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    total: r.requests.total,
  };
}

/**
 * An open-loop load generator: request i is due at start + i/rate, sent when
 * due whether or not earlier ones have answered, and its latency is measured
 * from when it was due (so a slow server cannot hide queueing: no coordinated
 * omission). autocannon's fixed rate sends each second's requests in a burst,
 * which measures its own bursts more than the server.
 */
export async function openLoop(opts: {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  rate: number;
  durationSeconds: number;
}): Promise<LoadResult> {
  const { request, Agent } = await import("node:http");
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(opts.url);
  const total = Math.round(opts.rate * opts.durationSeconds);
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const start = performance.now() + 50;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      new Promise<void>((resolve) => {
        const req = request(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname + target.search,
            method: opts.method ?? "GET",
            headers: opts.headers,
            agent,
          },
          (res) => {
            res.resume();
            res.on("end", () => {
              latencies.push(performance.now() - due);
              if ((res.statusCode ?? 0) >= 300) non2xx++;
              resolve();
            });
          },
        );
        req.on("error", () => {
          errors++;
          resolve();
        });
        if (opts.body) req.end(opts.body);
        else req.end();
      }),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  const s = summarize(latencies);
  return {
    rps: latencies.length / elapsed,
    p50: round(s.p50),
    p90: round(s.p90),
    p99: round(s.p99),
    errors,
    non2xx,
    total,
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
