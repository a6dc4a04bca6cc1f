/**
 * API key verification benchmark.
 *   1. In process: the full verification pipeline (parse, checksum, lookup,
 *      constant-time compare, checks, rate limit) p50/p99 over 100k calls.
 *   2. Over HTTP against the production build: authenticated
 *      GET /api/v1/auth/whoami versus unauthenticated GET /api/health on the same
 *      server, in one run, and their ratio.
 * Run through `npm run bench` (bench/run.sh prepares the database and the build).
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import { closeDb } from "../lib/db/client";
import { createApiKey } from "../lib/keys/create-api-key";
import { verifyApiKey } from "../lib/keys/verify-api-key";
import { benchOrganization, fmt, load, saveResult, startServer, summarize } from "./lib";

const N = Number(process.env.BENCH_KEY_VERIFICATIONS ?? 100_000);
const PORT = Number(process.env.BENCH_PORT ?? 3300);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

async function setup() {
  const { ctx } = await benchOrganization("bench", "Bench");
  const keys: string[] = [];
  // Several keys, so per-key limits (at most 100k/min each) never throttle the run.
  for (let i = 0; i < 8; i++) {
    keys.push(
      (
        await createApiKey(
          ctx,
          {
            name: `bench ${i}`,
            scopes: ["actions:submit", "actions:read"],
            rate_limit_per_minute: 100_000,
          },
          null,
        )
      ).token,
    );
  }
  return { keys };
}

async function inProcess(keys: string[]) {
  for (let i = 0; i < 500; i++)
    await verifyApiKey(keys[i % keys.length]!, { ip: "127.0.0.1", permission: "actions:submit" });
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const v = await verifyApiKey(keys[i % keys.length]!, { ip: "127.0.0.1", permission: "actions:submit" });
    samples.push(performance.now() - t0);
    if (v.status !== "valid") throw new Error(`verification failed: ${v.status}`);
  }
  const wall = (performance.now() - started) / 1000;
  return { ...summarize(samples), per_second: N / wall };
}

async function overHttp(keys: string[]) {
  const server = await startServer(
    {
      APP_DATABASE_URL: process.env.APP_DATABASE_URL!,
      NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET!,
      NEXTAUTH_URL: `http://127.0.0.1:${PORT}`,
      RATE_LIMIT_ORG_PER_MINUTE: "10000000",
    },
    PORT,
  );
  try {
    const base = `http://127.0.0.1:${PORT}`;
    const withKey = [
      {
        setupRequest: (req: { headers?: Record<string, string> }) => ({
          ...req,
          headers: { ...req.headers, authorization: `Bearer ${keys[Math.floor(Math.random() * keys.length)]}` },
        }),
      },
    ];
    // warm up both routes
    await load({ url: `${base}/api/health`, connections: 4, durationSeconds: 2 });
    await load({ url: `${base}/api/v1/auth/whoami`, connections: 4, durationSeconds: 2, requests: withKey as never });
    const unauth = await load({ url: `${base}/api/health`, connections: CONNECTIONS, durationSeconds: DURATION });
    const auth = await load({
      url: `${base}/api/v1/auth/whoami`,
      connections: CONNECTIONS,
      durationSeconds: DURATION,
      requests: withKey as never,
    });
    return {
      unauthenticated_health: unauth,
      authenticated_whoami: auth,
      p50_ratio: auth.p50 / Math.max(unauth.p50, 0.001),
      rps_ratio: auth.rps / unauth.rps,
    };
  } finally {
    server.kill("SIGTERM");
  }
}

async function main() {
  const { keys } = await setup();
  console.log(
    `\nKey verification in process (${N.toLocaleString()} calls, full pipeline incl. DB lookup and rate limit)`,
  );
  const ip = await inProcess(keys);
  console.log(
    `  p50 ${fmt(ip.p50)}  p90 ${fmt(ip.p90)}  p99 ${fmt(ip.p99)}  max ${fmt(ip.max)}  (${ip.per_second.toFixed(0)} verifications/s, sequential)`,
  );
  await closeDb();

  console.log(`\nOver HTTP, production build, ${CONNECTIONS} connections × ${DURATION}s each`);
  const http = await overHttp(keys);
  const row = (label: string, r: { rps: number; p50: number; p99: number; non2xx: number; errors: number }) =>
    console.log(
      `  ${label.padEnd(34)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50} ms   p99 ${r.p99} ms   non-2xx ${r.non2xx}  errors ${r.errors}`,
    );
  row("GET /api/health (no auth)", http.unauthenticated_health);
  row("GET /api/v1/auth/whoami (API key)", http.authenticated_whoami);
  console.log(`  ratio whoami/health: p50 ×${http.p50_ratio.toFixed(2)}, throughput ×${http.rps_ratio.toFixed(2)}`);
  const file = saveResult("keys", { in_process: ip, http, machine: { cpus: os.cpus().length, node: process.version } });
  console.log(`  saved ${file}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
