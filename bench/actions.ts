/**
 * POST /api/v1/actions (key auth + rate limits + tool registry + a 20-rule CEL
 * policy + redaction + encryption + one transaction with the action and two
 * hash-chained audit events) against the floor route (one row, one
 * transaction, no auth) on the same production server, at the same fixed
 * rates, in one run. Reports p50/p99 at each rate, their ratio, and the
 * highest rate the action route sustains with p99 under 50 ms.
 */
import os from "node:os";
import { closeDb } from "../lib/db/client";
import { createAgent } from "../lib/agents/agents";
import { createApiKey } from "../lib/keys/create-api-key";
import { createPolicyDraft, publishPolicyVersion } from "../lib/policy/versions";
import { benchOrganization, openLoop, saveResult, startServer, type LoadResult } from "./lib";

const PORT = Number(process.env.BENCH_PORT ?? 3300);
// Long windows: a p99 over a 10 s window (1,000 requests at 100/s) turns on the
// one or two V8 old-generation collections that fall inside it.
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const BASE_RATE = Number(process.env.BENCH_RATE ?? 100);
const RATES = (process.env.BENCH_RATES ?? "100,150,200,250,300,350,400,500").split(",").map(Number);

async function setup(): Promise<string> {
  const { ctx } = await benchOrganization("bench-act", "Bench actions");
  // 19 rules that do not match the benchmark's action, then the one that allows it:
  // every request evaluates all 20 conditions.
  const rules = Array.from({ length: 19 }, (_, i) => ({
    name: `rule ${i}`,
    condition: `tool == "tool_${i}" && params.amount > ${i * 10}.0 && url_host_in(params.url, ["api-${i}.example.com", "*.corp-${i}.example"])`,
    effect: i % 3 === 0 ? ("deny" as const) : ("require_approval" as const),
  }));
  rules.push({
    name: "payments",
    condition: 'tool == "payments" && operation == "create" && params.amount <= 1000.0',
    effect: "allow" as never,
  });
  const draft = await createPolicyDraft(ctx, { rules });
  await publishPolicyVersion(ctx, draft.version);
  const agent = await createAgent(ctx, {
    slug: "bench-agent",
    name: "Bench agent",
    environment: "production",
    tools: { allowed: ["payments"] },
  });
  const key = await createApiKey(
    ctx,
    {
      name: "bench",
      scopes: ["actions:submit"],
      agent_id: agent.id,
      rate_limit_per_minute: 100_000,
    },
    null,
  );
  return key.token;
}

const BODY = JSON.stringify({
  tool: "payments",
  operation: "create",
  params: {
    amount: 125.5,
    currency: "EUR",
    customer: "cus_123",
    url: "https://api.example.com/pay",
    card_number: "4111 1111 1111 1111",
    api_key: "sk_live_x",
  },
  context: { source_ip: "10.1.2.3", run_id: "r-42" },
});

async function at(url: string, rate: number, headers: Record<string, string>, body: string): Promise<LoadResult> {
  return openLoop({
    url,
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    rate,
    durationSeconds: SECONDS,
  });
}

async function main() {
  const token = await setup();
  await closeDb();
  const server = await startServer(
    {
      APP_DATABASE_URL: process.env.APP_DATABASE_URL!,
      NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET!,
      NEXTAUTH_URL: `http://127.0.0.1:${PORT}`,
      WARDEN_ENCRYPTION_KEYS: process.env.WARDEN_ENCRYPTION_KEYS!,
      WARDEN_AUDIT_SIGNING_KEYS: process.env.WARDEN_AUDIT_SIGNING_KEYS!,
      RATE_LIMIT_ORG_PER_MINUTE: "10000000",
      WARDEN_BENCH_ROUTES: "1",
      DB_POOL_MAX: "20",
    },
    PORT,
  );
  const base = `http://127.0.0.1:${PORT}`;
  const auth = { authorization: `Bearer ${token}` };
  try {
    // Warm up both routes (JIT, prepared statements, the compiled policy).
    await openLoop({
      url: `${base}/api/v1/bench/floor`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
      rate: 50,
      durationSeconds: 5,
    });
    await openLoop({
      url: `${base}/api/v1/actions`,
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: BODY,
      rate: 50,
      durationSeconds: 5,
    });

    console.log(
      `\nOpen-loop fixed rate ${BASE_RATE} req/s for ${SECONDS}s each (latency from each request's due time), production build, 2 CPUs shared by server, Postgres and load generator`,
    );
    const floor = await at(`${base}/api/v1/bench/floor`, BASE_RATE, {}, "{}");
    const actions = await at(`${base}/api/v1/actions`, BASE_RATE, auth, BODY);
    const line = (label: string, r: LoadResult) =>
      console.log(
        `  ${label.padEnd(40)} p50 ${String(r.p50).padStart(3)} ms   p99 ${String(r.p99).padStart(3)} ms   ${r.rps.toFixed(0)} req/s   non-2xx ${r.non2xx}  errors ${r.errors}`,
      );
    line("floor (1 insert, 1 transaction)", floor);
    line("POST /api/v1/actions (20 rules)", actions);
    const ratio = actions.p50 / Math.max(floor.p50, 1);
    console.log(`  p50 ratio actions/floor: ×${ratio.toFixed(2)} (target ≤ 1.5)`);

    console.log(`\nRate sweep for POST /api/v1/actions (p99 < 50 ms?)`);
    const sweep: { rate: number; result: LoadResult }[] = [];
    let best = 0;
    for (const rate of RATES) {
      const r = await at(`${base}/api/v1/actions`, rate, auth, BODY);
      sweep.push({ rate, result: r });
      line(`${rate} req/s offered`, r);
      const sustained = r.p99 < 50 && r.non2xx === 0 && r.errors === 0 && r.rps >= rate * 0.95;
      if (sustained) best = rate;
      else break;
    }
    console.log(`  highest sustained rate with p99 < 50 ms: ${best ? `${best} req/s` : "none of the tested rates"}`);
    const file = saveResult("actions", {
      base_rate: BASE_RATE,
      floor,
      actions,
      p50_ratio: ratio,
      sweep,
      best_rate_p99_under_50ms: best,
      machine: { cpus: os.cpus().length, node: process.version },
    });
    console.log(`  saved ${file}`);
  } finally {
    server.kill("SIGTERM");
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
