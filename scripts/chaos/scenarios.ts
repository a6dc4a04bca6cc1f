/**
 * The fault suite's scenarios (issue 10 part B, issue 20). Each returns an
 * Outcome: a pass/fail line and the numbers behind it. run.ts sets up the
 * database and the servers and calls them in order.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { createRule } from "@/lib/alerts/rules";
import { verifyChain } from "@/lib/audit/verify-chain";
import { createTestOrg, TEST_PASSWORD, type TestOrg } from "../../test/helpers/fixtures";
import { createAgentWithKey, publishPolicy, type TestAgent } from "../../test/helpers/firewall";
import { memberContext } from "../../test/helpers/keys";
import {
  alive,
  chainShape,
  countBy,
  dbClientPorts,
  failedSignIn,
  killPostgres,
  launchApp,
  lockWaitSampler,
  saveResult,
  ms,
  openLoop,
  ownerQuery,
  percentile,
  pool,
  report,
  request,
  rssKb,
  signIn,
  sleep,
  slope,
  startPostgres,
  stopApp,
  waitHealthy,
  type Answer,
  type App,
  type Outcome,
  type Postgres,
  type RequestSpec,
} from "./lib";

export type Ctx = {
  pg: Postgres;
  /** The long-lived instance every scenario but the app kill uses. */
  app: App;
  appEnv: Record<string, string>;
  /** A free port of the suite's range for another instance. */
  port: (k: number) => number;
  settings: { lockTimeoutMs: number; idleInTxTimeoutMs: number };
};

type Org = TestOrg & { agents: TestAgent[] };

const POLICY = [
  { name: "reads are fine", condition: 'operation == "read"', effect: "allow" as const, risk_level: "low" as const },
  {
    name: "payments need one",
    condition: 'operation == "pay"',
    effect: "require_approval" as const,
    risk_level: "high" as const,
  },
  { name: "nothing else", condition: "true", effect: "deny" as const, risk_level: "medium" as const },
];

async function organization(prefix: string, agents: number): Promise<Org> {
  const t = await createTestOrg(prefix);
  await publishPolicy(t, POLICY);
  const list: TestAgent[] = [];
  for (let i = 0; i < agents; i++) list.push(await createAgentWithKey(t, { tools: { allowed: ["payments"] } }));
  return { ...t, agents: list };
}

const submit = (agent: TestAgent, n: number, operation = "read"): RequestSpec => ({
  method: "POST",
  path: "/api/v1/actions",
  headers: { authorization: `Bearer ${agent.token}` },
  body: { tool: "payments", operation, params: { n, amount: 10, currency: "EUR" } },
});

const idOf = (a: Answer): string | null => {
  try {
    return (JSON.parse(a.body) as { id?: string }).id ?? null;
  } catch {
    return null;
  }
};

/** A 503 the way the promise says: problem+json with Retry-After. */
const proper503 = (a: Answer) => a.status === 503 && a.retryAfter !== null && /problem\+json/.test(a.contentType ?? "");

async function chainVerdict(orgId: string): Promise<{ ok: boolean; text: string }> {
  const shape = await chainShape(orgId);
  const full = await verifyChain(orgId);
  const ok = shape.ok && full.ok;
  const text = full.ok
    ? `${full.length} events, hashes verified; gaps ${shape.gaps}, forks ${shape.forks}, broken links ${shape.brokenLinks}${shape.detail ? `; ${shape.detail}` : ""}`
    : `NOT verified at seq ${full.firstBadSeq}: ${full.reason}`;
  return { ok, text };
}

/** Actions without their submission event, and submission events without their action. */
async function actionAuditPairs(
  orgId: string,
): Promise<{ actions: number; orphanActions: number; orphanEvents: number }> {
  const [r] = await ownerQuery<{ actions: number; orphan_actions: number; orphan_events: number }>(
    `SELECT
       (SELECT count(*)::int FROM actions WHERE org_id = $1) AS actions,
       (SELECT count(*)::int FROM actions a WHERE a.org_id = $1 AND NOT EXISTS (
          SELECT 1 FROM audit_events e WHERE e.org_id = a.org_id AND e.action = 'action.submitted'
            AND e.target_id = a.id::text)) AS orphan_actions,
       (SELECT count(*)::int FROM audit_events e WHERE e.org_id = $1 AND e.action LIKE 'action.%' AND NOT EXISTS (
          SELECT 1 FROM actions a WHERE a.org_id = e.org_id AND a.id::text = e.target_id)) AS orphan_events`,
    [orgId],
  );
  return { actions: r!.actions, orphanActions: r!.orphan_actions, orphanEvents: r!.orphan_events };
}

// ---------------------------------------------------------------- 1. kill -9 PostgreSQL under load

export async function postgresKill(ctx: Ctx): Promise<Outcome> {
  const rounds = Number(process.env.CHAOS_PG_ROUNDS ?? 3);
  const rate = Number(process.env.CHAOS_PG_RATE ?? 20);
  const org = await organization("chaos-pgkill", 4);
  const pid = ctx.app.proc.pid;
  const windows: { killedAt: number; spawnedAt: number; restartedAt: number; recoveredAt: number | null }[] = [];
  const health: { at: number; status: number }[] = [];
  let done = false;

  const controller = (async () => {
    for (let r = 0; r < rounds; r++) {
      await sleep(4000);
      const killedAt = performance.now();
      await killPostgres(ctx.pg);
      // Health while the database is down.
      const downUntil = performance.now() + 5000;
      while (performance.now() < downUntil) {
        const h = await request(ctx.app.url, { path: "/api/health", timeoutMs: 5000 });
        health.push({ at: performance.now(), status: h.status });
        await sleep(250);
      }
      const spawnedAt = performance.now();
      await startPostgres(ctx.pg); // returns once the server answers a query (after its crash recovery)
      windows.push({ killedAt, spawnedAt, restartedAt: performance.now(), recoveredAt: null });
      await sleep(8000);
    }
    done = true;
  })();

  const answers = await openLoop(
    rate,
    rounds * 30_000,
    (i) => ({ base: ctx.app.url, spec: submit(org.agents[i % org.agents.length]!, i) }),
    undefined,
    () => done,
  );
  await controller;

  const problems: string[] = [];
  // Recovery: the first 201 sent after each restart.
  for (const w of windows) {
    const first = answers
      .filter((a) => a.startedAt >= w.restartedAt && a.status === 201)
      .sort((a, b) => a.startedAt - b.startedAt)[0];
    w.recoveredAt = first ? first.startedAt : null;
    if (!first) problems.push("no 201 after a restart: the app did not recover by itself");
  }
  // Answered while the database was down (killed, or still in crash recovery).
  const inDown = (a: Answer) =>
    windows.some((w) => a.startedAt + a.ms >= w.killedAt && a.startedAt + a.ms < w.restartedAt - 150);
  const afterRecovery = (a: Answer) =>
    windows.some((w) => w.recoveredAt !== null && a.startedAt >= w.recoveredAt + 2000) &&
    !inDown(a) &&
    a.startedAt > windows[0]!.killedAt;
  const statuses = countBy(answers, (a) => a.status);
  const bad = answers.filter((a) => a.status !== 201 && !proper503(a));
  if (bad.length > 0) {
    problems.push(
      `${bad.length} answers neither 201 nor 503+Retry-After: ${JSON.stringify(countBy(bad, (a) => `${a.status}${a.error ? `:${a.error}` : ""}`))}`,
    );
  }
  const lateFailures = answers.filter((a) => afterRecovery(a) && a.status !== 201);
  const acknowledged = answers.filter((a) => a.status === 201).map(idOf);
  const present = await ownerQuery<{ id: string }>(
    `SELECT id::text FROM actions WHERE org_id = $1 AND id = ANY($2::uuid[])`,
    [org.org.id, acknowledged],
  );
  const lost = acknowledged.length - present.length;
  if (lost > 0) problems.push(`${lost} actions answered 201 are missing after the restarts`);
  const pairs = await actionAuditPairs(org.org.id);
  if (pairs.orphanActions + pairs.orphanEvents > 0) problems.push(`half-written actions: ${JSON.stringify(pairs)}`);
  const chain = await chainVerdict(org.org.id);
  if (!chain.ok) problems.push(`chain: ${chain.text}`);
  if (!alive(ctx.app) || ctx.app.proc.pid !== pid)
    problems.push("the app process died (it must recover without a restart)");
  const healthDown = health.filter((h) => h.status === 503).length;
  if (healthDown === 0) problems.push("/api/health never said 503 while the database was down");
  const recovery = windows.map((w) => (w.recoveredAt === null ? NaN : Math.round(w.recoveredAt - w.restartedAt)));
  const t0 = Math.min(...answers.map((a) => a.startedAt));
  const saved = saveResult("pg-kill", {
    windows: windows.map((w) => ({
      killedAt: w.killedAt - t0,
      spawnedAt: w.spawnedAt - t0,
      restartedAt: w.restartedAt - t0,
      recoveredAt: w.recoveredAt === null ? null : w.recoveredAt - t0,
    })),
    health: health.map((h) => ({ at: h.at - t0, status: h.status })),
    answers: answers.map((a) => ({
      at: Math.round(a.startedAt - t0),
      ms: Math.round(a.ms),
      status: a.status,
      error: a.error,
      body: a.status === 201 ? undefined : a.body.slice(0, 200),
    })),
  });
  const downMs = windows.map((w) => Math.round(w.restartedAt - w.killedAt));
  const down503 = answers.filter((a) => inDown(a));
  const downNot503 = down503.filter((a) => !proper503(a));
  if (downNot503.length > 0) {
    problems.push(
      `answered while down but not 503+Retry-After: ${JSON.stringify(countBy(downNot503, (a) => a.status))}`,
    );
  }
  const slowest = Math.max(...answers.map((a) => a.ms));
  if (slowest > 15_000) problems.push(`a request waited ${ms(slowest)}: a hang`);

  return report({
    name: `kill -9 PostgreSQL under load (${rounds} rounds, ${rate} actions/s)`,
    pass: problems.length === 0,
    numbers: {
      requests: answers.length,
      statuses,
      "acknowledged (201)": acknowledged.length,
      "acknowledged and present after restart": present.length,
      "answered while down": `${down503.length} (${down503.filter(proper503).length} × 503 with Retry-After; p50 ${ms(
        percentile(
          down503.map((a) => a.ms),
          50,
        ),
      )}, max ${ms(Math.max(0, ...down503.map((a) => a.ms)))})`,
      "slowest answer of the run": ms(slowest),
      "down for (kill → answering again, incl. crash recovery)": downMs.map(ms).join(", "),
      "of which PostgreSQL's start and crash recovery": windows.map((w) => ms(w.restartedAt - w.spawnedAt)).join(", "),
      "first 201 after restart": recovery.map(ms).join(", "),
      "non-201 later than 2 s after recovery": lateFailures.length,
      "/api/health while down": `${healthDown} × 503 of ${health.length} probes`,
      "actions / without audit / audit without action": `${pairs.actions} / ${pairs.orphanActions} / ${pairs.orphanEvents}`,
      chain: chain.text,
      "raw answers": saved,
      "app process": alive(ctx.app) && ctx.app.proc.pid === pid ? `same process (pid ${pid}), never restarted` : "died",
    },
    problems,
  });
}

// ---------------------------------------------------------------- 2. SIGKILL the app mid-burst

export async function appKill(ctx: Ctx): Promise<Outcome> {
  const rounds = Number(process.env.CHAOS_APP_ROUNDS ?? 3);
  const rate = Number(process.env.CHAOS_APP_RATE ?? 40);
  const org = await organization("chaos-appkill", 8);
  const port = ctx.port(1);
  const problems: string[] = [];
  const perRound: Record<string, unknown>[] = [];
  let acknowledged: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const app = launchApp(`victim-${r}`, port, ctx.appEnv);
    await waitHealthy(app);
    // Warm (a cold instance compiles its routes on first use): a few submissions first.
    for (let w = 0; w < 8; w++) {
      const warm = await request(app.url, submit(org.agents[w % org.agents.length]!, -w, w % 2 ? "pay" : "read"));
      if (warm.status === 201) acknowledged.push(idOf(warm)!);
    }
    let killed = false;
    const killAfter = 3000 + Math.random() * 2000;
    const killer = (async () => {
      await sleep(killAfter);
      app.proc.kill("SIGKILL");
      killed = true;
    })();
    // Mixed burst: most are allowed at once, some wait for an approval (two more writes each).
    const answers = await openLoop(rate, killAfter + 800, (i) => ({
      base: app.url,
      spec: submit(org.agents[i % org.agents.length]!, i, i % 5 === 0 ? "pay" : "read"),
    }));
    await killer;
    if (!killed) problems.push("the app was not killed");
    await new Promise((res) =>
      app.proc.exitCode !== null || app.proc.signalCode !== null ? res(null) : app.proc.once("exit", res),
    );
    const ok = answers.filter((a) => a.status === 201);
    acknowledged = acknowledged.concat(ok.map((a) => idOf(a)!));
    perRound.push({
      "killed after": ms(killAfter),
      sent: answers.length,
      "201": ok.length,
      "no answer (in flight or after the kill)": answers.filter((a) => a.status === 0).length,
      other: answers.length - ok.length - answers.filter((a) => a.status === 0).length,
    });
    const bad = answers.filter((a) => a.status !== 201 && a.status !== 0 && !proper503(a));
    if (bad.length > 0)
      problems.push(`round ${r + 1}: unexpected answers ${JSON.stringify(countBy(bad, (a) => a.status))}`);
  }
  // A fresh instance serves again.
  const after = launchApp("after-kill", port, ctx.appEnv);
  await waitHealthy(after);
  const again = await request(after.url, submit(org.agents[0]!, -1));
  await stopApp(after);
  if (again.status !== 201) problems.push(`after the kills, a submission got ${again.status}`);

  const present = await ownerQuery<{ id: string }>(
    `SELECT id::text FROM actions WHERE org_id = $1 AND id = ANY($2::uuid[])`,
    [org.org.id, acknowledged],
  );
  if (present.length !== acknowledged.length)
    problems.push(`${acknowledged.length - present.length} acknowledged actions lost`);
  const pairs = await actionAuditPairs(org.org.id);
  if (pairs.orphanActions + pairs.orphanEvents > 0) problems.push(`half-written actions: ${JSON.stringify(pairs)}`);
  const chain = await chainVerdict(org.org.id);
  if (!chain.ok) problems.push(`chain: ${chain.text}`);
  return report({
    name: `SIGKILL the app mid-burst (${rounds} rounds, ${rate} actions/s)`,
    pass: problems.length === 0,
    numbers: {
      rounds: perRound,
      "acknowledged / present": `${acknowledged.length} / ${present.length}`,
      "actions in the database (incl. unacknowledged)": pairs.actions,
      "actions without their audit event": pairs.orphanActions,
      "action audit events without their action": pairs.orphanEvents,
      chain: chain.text,
      "submission on a fresh instance": again.status,
    },
    problems,
  });
}

// ---------------------------------------------------------------- 3. two organizations, every read route

type Fixture = {
  org: Org;
  cookie: string;
  actionIds: string[];
  approvalIds: string[];
  ruleId: string;
  exportId: string;
  snapshotId: string;
  slug: string;
  markers: string[];
};

async function isolationFixture(ctx: Ctx, prefix: string): Promise<Fixture> {
  const org = await organization(prefix, 2);
  const actionIds: string[] = [];
  for (let i = 0; i < 12; i++) {
    const a = await request(ctx.app.url, submit(org.agents[i % 2]!, i, i % 4 === 0 ? "pay" : "read"));
    if (a.status !== 201) throw new Error(`fixture submission: ${a.status} ${a.body}`);
    actionIds.push(idOf(a)!);
  }
  await createRule(memberContext(org), {
    name: "many failed sign-ins",
    mode: "active",
    spec: {
      actions: ["auth.sign_in_failed"],
      condition: 'actor.type == "user"',
      group_by: ["actor.id"],
      aggregation: { kind: "count", threshold: 1000, window_seconds: 600 },
      responses: [{ type: "notify", recipients: ["admins"], channels: [] }],
      severity: "warning",
      cooldown_seconds: 0,
      max_responses_per_hour: 10,
    },
  });
  const cookie = await signIn(ctx.app.url, org.users.admin.email, TEST_PASSWORD);
  const headers = { cookie, "x-warden-org": org.org.slug, origin: ctx.app.url };
  for (const [what, p] of [
    ["checkpoint", "/api/v1/audit/checkpoints"],
    ["posture snapshot", "/api/v1/security/snapshots"],
  ] as const) {
    const made = await request(ctx.app.url, { method: "POST", path: p, headers, body: {} });
    if (made.status >= 300) throw new Error(`fixture ${what}: ${made.status} ${made.body}`);
  }
  const exp = await request(ctx.app.url, { path: "/api/v1/audit/export?format=jsonl", headers });
  if (exp.status !== 200) throw new Error(`fixture export: ${exp.status} ${exp.body.slice(0, 300)}`);
  const ids = async (sql: string) => (await ownerQuery<{ id: string }>(sql, [org.org.id])).map((r) => r.id);
  const approvals = await ids(`SELECT id::text FROM approvals WHERE org_id = $1`);
  const ruleIds = await ids(`SELECT id::text FROM alert_rules WHERE org_id = $1`);
  const exportIds = await ids(`SELECT id::text FROM audit_export_requests WHERE org_id = $1`);
  const snapshotIds = await ids(`SELECT id::text FROM security_posture_snapshots WHERE org_id = $1`);
  const markers = await ownerQuery<{ m: string }>(
    `SELECT $1::text AS m UNION SELECT $2
     UNION SELECT id::text FROM agents WHERE org_id = $1::uuid UNION SELECT slug FROM agents WHERE org_id = $1::uuid
     UNION SELECT id::text FROM api_keys WHERE org_id = $1::uuid
     UNION SELECT id::text FROM actions WHERE org_id = $1::uuid
     UNION SELECT id::text FROM approvals WHERE org_id = $1::uuid
     UNION SELECT id::text FROM audit_events WHERE org_id = $1::uuid UNION SELECT hash FROM audit_events WHERE org_id = $1::uuid
     UNION SELECT id::text FROM alert_rules WHERE org_id = $1::uuid
     UNION SELECT id::text FROM audit_export_requests WHERE org_id = $1::uuid
     UNION SELECT id::text FROM security_posture_snapshots WHERE org_id = $1::uuid
     UNION SELECT id::text FROM audit_checkpoints WHERE org_id = $1::uuid
     UNION SELECT user_id::text FROM memberships WHERE org_id = $1::uuid
     UNION SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.org_id = $1::uuid`,
    [org.org.id, org.org.slug],
  );
  return {
    org,
    cookie,
    actionIds,
    approvalIds: approvals,
    ruleId: ruleIds[0]!,
    exportId: exportIds[0]!,
    snapshotId: snapshotIds[0]!,
    slug: org.agents[0]!.slug,
    markers: markers.map((m) => m.m),
  };
}

const SESSION_ROUTES = (f: Fixture): string[] => [
  "/api/v1/actions",
  "/api/v1/actions?status=pending",
  `/api/v1/actions/${f.actionIds[1]}`,
  "/api/v1/agents",
  `/api/v1/agents/${f.slug}`,
  "/api/v1/alerts/channels",
  "/api/v1/alerts/deliveries",
  "/api/v1/alerts/firings",
  "/api/v1/alerts/rules",
  "/api/v1/alerts/silences",
  "/api/v1/alerts/templates",
  "/api/v1/approvals",
  "/api/v1/audit/checkpoints",
  "/api/v1/audit/events",
  "/api/v1/audit/events?limit=5",
  "/api/v1/audit/events/1",
  "/api/v1/audit/exports",
  "/api/v1/audit/verifier-keys",
  "/api/v1/audit/verify",
  "/api/v1/auth/api-keys",
  "/api/v1/auth/whoami",
  "/api/v1/members",
  "/api/v1/notifications",
  "/api/v1/org/mfa-policy",
  "/api/v1/org/settings",
  "/api/v1/policies",
  "/api/v1/policies/1",
  "/api/v1/policies/active",
  `/api/v1/proof-pack/${f.actionIds[1]}`,
  "/api/v1/security/posture",
  "/api/v1/security/snapshots",
  "/api/v1/sso/connections",
  "/api/v1/sso/domains",
  "/api/v1/sso/enforcement",
  "/api/v1/sso/role-requests",
  "/api/v1/account",
  "/api/v1/account/sessions",
  "/api/v1/account/passkeys",
  "/api/v1/session",
  "/api/v1/session/second-factor",
  `/api/v1/alerts/rules/${f.ruleId}`,
  "/api/v1/audit/checkpoint",
  "/api/v1/audit/consistency?from=1&to=2",
  "/api/v1/audit/export?format=jsonl",
  "/api/v1/audit/export?format=csv",
  `/api/v1/audit/exports/${f.exportId}`,
  "/api/v1/security/report",
  `/api/v1/security/snapshots/${f.snapshotId}`,
  `/api/v1/sso/connections/${randomUUID()}`,
];

export async function isolation(ctx: Ctx): Promise<Outcome> {
  const perOrg = Number(process.env.CHAOS_ISOLATION_REQUESTS ?? 1000);
  const concurrency = Number(process.env.CHAOS_ISOLATION_CONCURRENCY ?? 24);
  const [a, b] = [await isolationFixture(ctx, "chaos-iso-a"), await isolationFixture(ctx, "chaos-iso-b")];
  const foreignOf = new Map<Fixture, Fixture>([
    [a, b],
    [b, a],
  ]);
  type Probe = { f: Fixture; spec: RequestSpec; attack: boolean; label: string };
  const probesOf = (f: Fixture): Probe[] => {
    const other = foreignOf.get(f)!;
    const session = { cookie: f.cookie, "x-warden-org": f.org.org.slug };
    const list: Probe[] = SESSION_ROUTES(f).map((p) => ({
      f,
      spec: { path: p, headers: session },
      attack: false,
      label: p,
    }));
    for (const [k, agent] of f.org.agents.entries()) {
      const bearer = { authorization: `Bearer ${agent.token}` };
      list.push({
        f,
        spec: { path: "/api/v1/actions", headers: bearer },
        attack: false,
        label: "agent: /api/v1/actions",
      });
      list.push({
        f,
        // Action k was submitted by agent k (they alternate); an agent reads only its own.
        spec: { path: `/api/v1/actions/${f.actionIds[k]}`, headers: bearer },
        attack: false,
        label: "agent: /api/v1/actions/:id",
      });
      list.push({
        f,
        spec: { path: `/api/v1/actions/${other.actionIds[0]}`, headers: bearer },
        attack: true,
        label: "agent: other org's action",
      });
    }
    // The other organization's ids with our credentials, and our credentials naming the other organization.
    list.push(
      {
        f,
        spec: { path: `/api/v1/actions/${other.actionIds[1]}`, headers: session },
        attack: true,
        label: "other org's action",
      },
      { f, spec: { path: `/api/v1/agents/${other.slug}`, headers: session }, attack: true, label: "other org's agent" },
      {
        f,
        spec: { path: `/api/v1/proof-pack/${other.actionIds[1]}`, headers: session },
        attack: true,
        label: "other org's proof pack",
      },
      {
        f,
        spec: { path: `/api/v1/alerts/rules/${other.ruleId}`, headers: session },
        attack: true,
        label: "other org's alert rule",
      },
      {
        f,
        spec: { path: `/api/v1/audit/exports/${other.exportId}`, headers: session },
        attack: true,
        label: "other org's export",
      },
      {
        f,
        spec: { path: `/api/v1/audit/exports/${other.exportId}/download`, headers: session },
        attack: true,
        label: "other org's export download",
      },
      {
        f,
        spec: { path: `/api/v1/security/snapshots/${other.snapshotId}`, headers: session },
        attack: true,
        label: "other org's posture snapshot",
      },
      {
        f,
        spec: {
          method: "POST",
          path: `/api/v1/approvals/${other.approvalIds[0]}/approve`,
          headers: { ...session, origin: ctx.app.url },
          body: { reason: "not mine" },
        },
        attack: true,
        label: "approving the other org's approval",
      },
      {
        f,
        spec: { path: "/api/v1/actions", headers: { cookie: f.cookie, "x-warden-org": other.org.org.slug } },
        attack: true,
        label: "naming the other org",
      },
      {
        f,
        spec: { path: "/api/v1/audit/events", headers: { cookie: f.cookie, "x-warden-org": other.org.org.slug } },
        attack: true,
        label: "naming the other org (audit)",
      },
    );
    return list;
  };
  const pa = probesOf(a);
  const pb = probesOf(b);
  const jobs: Probe[] = [];
  for (let i = 0; i < perOrg; i++) jobs.push(pa[i % pa.length]!, pb[i % pb.length]!);
  const t0 = performance.now();
  const results = await pool(
    concurrency,
    jobs.map((p) => async () => ({ p, a: await request(ctx.app.url, p.spec) })),
  );
  const elapsed = performance.now() - t0;
  const problems: string[] = [];
  let leaks = 0;
  const leakRoutes = new Set<string>();
  for (const { p, a: ans } of results) {
    const foreign = foreignOf.get(p.f)!.markers;
    const hit = foreign.find((m) => m.length >= 6 && ans.body.includes(m));
    if (hit) {
      leaks++;
      leakRoutes.add(`${p.label} (${ans.status})`);
    }
  }
  if (leaks > 0) problems.push(`${leaks} answers carried the other organization's data: ${[...leakRoutes].join(", ")}`);
  const errors = results.filter((r) => r.a.status >= 500 || r.a.status === 0);
  if (errors.length > 0) {
    problems.push(
      `${errors.length} answers 5xx or none: ${JSON.stringify(countBy(errors, (r) => `${r.p.label} ${r.a.status}`))}`,
    );
  }
  const attacksLetThrough = results.filter((r) => r.p.attack && r.a.status >= 200 && r.a.status < 300);
  if (attacksLetThrough.length > 0) {
    problems.push(
      `cross-tenant reads answered 2xx: ${[...new Set(attacksLetThrough.map((r) => r.p.label))].join(", ")}`,
    );
  }
  const own = results.filter((r) => !r.p.attack);
  const ownNot2xx = countBy(
    own.filter((r) => r.a.status >= 300),
    (r) => `${r.p.label} ${r.a.status}`,
  );
  return report({
    name: `2 organizations × ${perOrg} interleaved concurrent requests on every read and list route`,
    pass: problems.length === 0,
    numbers: {
      routes: `${SESSION_ROUTES(a).length} session routes + 2 agent routes, + ${pa.length - SESSION_ROUTES(a).length - 2 * a.org.agents.length} cross-tenant probes per org`,
      requests: results.length,
      concurrency,
      elapsed: ms(elapsed),
      "p99 latency": ms(
        percentile(
          results.map((r) => r.a.ms),
          99,
        ),
      ),
      statuses: countBy(results, (r) => r.a.status),
      "answers with the other organization's data": leaks,
      "markers per organization": `${a.markers.length} / ${b.markers.length}`,
      "cross-tenant probes": `${results.filter((r) => r.p.attack).length}, statuses ${JSON.stringify(
        countBy(
          results.filter((r) => r.p.attack),
          (r) => r.a.status,
        ),
      )}`,
      "own reads not 2xx (route status: count)": ownNot2xx,
    },
    problems,
  });
}

// ---------------------------------------------------------------- 4. 50 concurrent writers

export async function writers(ctx: Ctx): Promise<Outcome> {
  const agents = Number(process.env.CHAOS_WRITER_AGENTS ?? 40);
  const people = Number(process.env.CHAOS_WRITER_PEOPLE ?? 10);
  const each = Number(process.env.CHAOS_WRITER_EACH ?? 10);
  const org = await organization("chaos-writers", agents);
  const cookie = await signIn(ctx.app.url, org.users.admin.email, TEST_PASSWORD);
  const session = { cookie, "x-warden-org": org.org.slug, origin: ctx.app.url };
  const before = (await chainShape(org.org.id)).events;
  const waits = lockWaitSampler();
  const t0 = performance.now();
  const writersList: (() => Promise<Answer[]>)[] = [];
  for (const agent of org.agents) {
    writersList.push(async () => {
      const out: Answer[] = [];
      for (let i = 0; i < each; i++)
        out.push(await request(ctx.app.url, submit(agent, i, i % 3 === 0 ? "pay" : "read")));
      return out;
    });
  }
  for (let p = 0; p < people; p++) {
    writersList.push(async () => {
      const out: Answer[] = [];
      for (let i = 0; i < each; i++) {
        // Typed-pool writers: new API keys, and policy drafts.
        out.push(
          i % 2 === 0
            ? await request(ctx.app.url, {
                method: "POST",
                path: "/api/v1/auth/api-keys",
                headers: session,
                body: { name: `w${p}-${i}-${randomUUID().slice(0, 6)}`, scopes: ["actions:read"] },
              })
            : await request(ctx.app.url, {
                method: "POST",
                path: "/api/v1/policies",
                headers: session,
                body: { rules: POLICY },
              }),
        );
      }
      return out;
    });
  }
  const answers = (await Promise.all(writersList.map((w) => w()))).flat();
  const elapsed = performance.now() - t0;
  const lockWaits = await waits.stop();
  const problems: string[] = [];
  const statuses = countBy(answers, (a) => a.status);
  const failed = answers.filter((a) => a.status < 200 || a.status >= 300);
  if (failed.length > 0)
    problems.push(`${failed.length} writes not 2xx: ${JSON.stringify(countBy(failed, (a) => a.status))}`);
  const shape = await chainShape(org.org.id);
  const chain = await chainVerdict(org.org.id);
  if (!chain.ok) problems.push(`chain: ${chain.text}`);
  const written = shape.events - before;
  if (written < answers.filter((a) => a.status < 300).length) {
    problems.push(`only ${written} events for ${answers.length} successful writes`);
  }
  return report({
    name: `${agents + people} concurrent writers in one organization (${agents} agents, ${people} people, ${each} writes each)`,
    pass: problems.length === 0,
    numbers: {
      writes: answers.length,
      statuses,
      elapsed: ms(elapsed),
      "write p50 / p99": `${ms(
        percentile(
          answers.map((a) => a.ms),
          50,
        ),
      )} / ${ms(
        percentile(
          answers.map((a) => a.ms),
          99,
        ),
      )}`,
      "events appended": written,
      "longest lock wait seen (sampled every 25 ms)": `${ms(lockWaits.maxMs)} (lock_timeout ${ms(ctx.settings.lockTimeoutMs)})`,
      "chain length / head": `${shape.events} / ${shape.head}`,
      "gaps / forks / broken links": `${shape.gaps} / ${shape.forks} / ${shape.brokenLinks}`,
      chain: chain.text,
    },
    problems,
  });
}

// ---------------------------------------------------------------- 5. soak

export async function soak(ctx: Ctx): Promise<Outcome> {
  const seconds = Number(process.env.CHAOS_SOAK_SECONDS ?? 600);
  const rate = Number(process.env.CHAOS_SOAK_RATE ?? 20);
  const org = await organization("chaos-soak", 4);
  const cookie = await signIn(ctx.app.url, org.users.admin.email, TEST_PASSWORD);
  const session = { cookie, "x-warden-org": org.org.slug };
  const pid = ctx.app.proc.pid!;
  const samples: { t: number; rssMb: number }[] = [];
  const t0 = performance.now();
  let stop = false;
  const sampler = (async () => {
    while (!stop) {
      samples.push({ t: (performance.now() - t0) / 1000, rssMb: rssKb(pid) / 1024 });
      await sleep(2000);
    }
  })();
  const lastId = new Map<string, string>(); // an agent reads its own actions
  const waits = lockWaitSampler(100);
  const answers = await openLoop(
    rate,
    seconds * 1000,
    (i) => {
      const agent = org.agents[i % org.agents.length]!;
      switch (i % 4) {
        case 0:
        case 1:
          return { base: ctx.app.url, spec: submit(agent, i), tag: "submit" };
        case 2:
          return {
            base: ctx.app.url,
            spec: {
              path: lastId.has(agent.id) ? `/api/v1/actions/${lastId.get(agent.id)}` : "/api/v1/actions",
              headers: { authorization: `Bearer ${agent.token}` },
            },
            tag: "get",
          };
        default:
          return { base: ctx.app.url, spec: { path: "/api/v1/audit/events?limit=20", headers: session }, tag: "list" };
      }
    },
    (a) => {
      if (a.tag === "submit" && a.status === 201) lastId.set(org.agents[a.i % org.agents.length]!.id, idOf(a)!);
    },
  );
  stop = true;
  await sampler;
  const lockWaits = await waits.stop();
  const problems: string[] = [];
  const saved = saveResult("soak", {
    samples,
    answers: answers.map((a) => ({
      at: Math.round(a.startedAt - t0),
      ms: Math.round(a.ms),
      tag: a.tag,
      status: a.status,
      body: a.status >= 300 ? a.body.slice(0, 200) : undefined,
    })),
  });
  const failed = answers.filter((a) => a.status < 200 || a.status >= 300);
  if (failed.length > 0)
    problems.push(`${failed.length} requests failed: ${JSON.stringify(countBy(failed, (a) => a.status))}`);
  // Windows of 10 s: p99 per window; RSS per sample. The first 20 % is warm-up (JIT, caches, pools).
  const windowS = 10;
  const byWindow = new Map<number, number[]>();
  for (const a of answers) {
    const w = Math.floor((a.startedAt - t0) / 1000 / windowS);
    byWindow.set(w, [...(byWindow.get(w) ?? []), a.ms]);
  }
  const windows = [...byWindow.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([w, v]) => ({ t: w * windowS, p99: percentile(v, 99) }));
  const warm = seconds * 0.2;
  const steadyW = windows.filter((w) => w.t >= warm);
  const steadyS = samples.filter((s) => s.t >= warm);
  const p99Slope = slope(
    steadyW.map((w) => w.t / 60),
    steadyW.map((w) => w.p99),
  );
  const rssSlope = slope(
    steadyS.map((s) => s.t / 60),
    steadyS.map((s) => s.rssMb),
  );
  const third = (xs: number[], k: 0 | 2) =>
    xs.slice(Math.floor((k * xs.length) / 3), Math.floor(((k + 1) * xs.length) / 3));
  const rssFirst = percentile(
    third(
      steadyS.map((s) => s.rssMb),
      0,
    ),
    50,
  );
  const rssLast = percentile(
    third(
      steadyS.map((s) => s.rssMb),
      2,
    ),
    50,
  );
  const p99First = percentile(
    third(
      steadyW.map((w) => w.p99),
      0,
    ),
    50,
  );
  const p99Last = percentile(
    third(
      steadyW.map((w) => w.p99),
      2,
    ),
    50,
  );
  // Flat: the last third within 15 % (+16 MB) of the first in memory, and within 2× (+20 ms) in p99.
  if (rssLast > rssFirst * 1.15 + 16)
    problems.push(`RSS grew from ${rssFirst.toFixed(0)} MB to ${rssLast.toFixed(0)} MB`);
  if (p99Last > p99First * 2 + 20) problems.push(`p99 grew from ${ms(p99First)} to ${ms(p99Last)}`);
  return report({
    name: `soak: ${rate} requests/s for ${seconds} s (half submissions, half reads)`,
    pass: problems.length === 0,
    numbers: {
      requests: answers.length,
      statuses: countBy(answers, (a) => a.status),
      "longest lock wait seen (sampled every 100 ms)": ms(lockWaits.maxMs),
      "p50 / p99 overall": `${ms(
        percentile(
          answers.map((a) => a.ms),
          50,
        ),
      )} / ${ms(
        percentile(
          answers.map((a) => a.ms),
          99,
        ),
      )}`,
      "RSS after warm-up: first third → last third (median)": `${rssFirst.toFixed(1)} MB → ${rssLast.toFixed(1)} MB`,
      "RSS slope after warm-up": `${rssSlope.toFixed(2)} MB/min`,
      "p99 per 10 s window: first third → last third (median)": `${ms(p99First)} → ${ms(p99Last)}`,
      "p99 slope after warm-up": `${p99Slope.toFixed(2)} ms/min`,
      "p99 per window": windows.map((w) => Math.round(w.p99)).join(" "),
      "raw answers": saved,
      "RSS samples (MB, every 2 s)": samples.map((s) => Math.round(s.rssMb)).join(" "),
    },
    problems,
  });
}

// ---------------------------------------------------------------- 6. SIGSTOP an instance inside a transaction

type Caught = { pid: number; state: string; xact_age_ms: number; locks: number; query: string };

/** The frozen instance's backends that sit in an open transaction holding locks. */
async function heldByInstance(appPid: number, pgPort: number): Promise<Caught[]> {
  const ports = [...dbClientPorts(appPid, pgPort)];
  if (ports.length === 0) return [];
  return ownerQuery<Caught>(
    `SELECT a.pid, a.state, (extract(epoch FROM now() - a.xact_start) * 1000)::int AS xact_age_ms,
            (SELECT count(*)::int FROM pg_locks l WHERE l.pid = a.pid AND l.granted
               AND l.locktype IN ('transactionid', 'advisory', 'tuple')) AS locks,
            left(a.query, 120) AS query
     FROM pg_stat_activity a
     WHERE a.client_port = ANY($1::int[]) AND a.state LIKE 'idle in transaction%'`,
    [ports],
  );
}

export async function frozenInstance(ctx: Ctx): Promise<Outcome> {
  const freezeSeconds = Number(process.env.CHAOS_FREEZE_SECONDS ?? 15);
  const rate = Number(process.env.CHAOS_FREEZE_RATE ?? 10);
  const x = await organization("chaos-frozen-x", 4);
  const y = await organization("chaos-frozen-y", 4);
  // X evaluates failed sign-ins at once (an active rule that never fires at this volume).
  await createRule(memberContext(x), {
    name: "many failed sign-ins",
    mode: "active",
    spec: {
      actions: ["auth.sign_in_failed"],
      condition: 'actor.type == "user"',
      group_by: ["actor.id"],
      aggregation: { kind: "count", threshold: 1000, window_seconds: 600 },
      responses: [{ type: "notify", recipients: ["admins"], channels: [] }],
      severity: "warning",
      cooldown_seconds: 0,
      max_responses_per_hour: 10,
    },
  });
  const healthy = ctx.app;
  const frozen = launchApp("frozen", ctx.port(2), ctx.appEnv);
  await waitHealthy(frozen);
  const problems: string[] = [];
  const xCookieH = await signIn(healthy.url, x.users.admin.email, TEST_PASSWORD);
  const xCookieF = await signIn(frozen.url, x.users.admin.email, TEST_PASSWORD);
  const xSessionH = { cookie: xCookieH, "x-warden-org": x.org.slug, origin: healthy.url };
  const xSessionF = { cookie: xCookieF, "x-warden-org": x.org.slug, origin: frozen.url };

  // The healthy instance's load: Y submits; X submits, drafts policies and fails sign-ins.
  const load = (durationMs: number) =>
    openLoop(rate * 2, durationMs, (i) => {
      if (i % 2 === 0) return { base: healthy.url, spec: submit(y.agents[(i / 2) % 4]!, i), tag: "Y submit" };
      const k = (i - 1) / 2;
      if (k % 5 === 1)
        return {
          base: healthy.url,
          spec: { method: "POST", path: "/api/v1/policies", headers: xSessionH, body: { rules: POLICY } },
          tag: "X policy draft",
        };
      return { base: healthy.url, spec: submit(x.agents[k % 4]!, i), tag: "X submit" };
    });
  const xSignInFailures = async (until: () => boolean, out: Answer[]) => {
    while (!until()) {
      out.push(await failedSignIn(healthy.url, x.users.viewer.email));
      await sleep(200);
    }
  };

  // Baseline: everything running, nobody frozen.
  const baseline = await load(8000);
  const yBase = baseline.filter((a) => a.tag === "Y submit");
  const yBaseP99 = percentile(
    yBase.map((a) => a.ms),
    99,
  );

  // The instance to freeze works on X: policy drafts and failed sign-ins (multi-statement transactions).
  let busy = true;
  const frozenLoad = (async () => {
    const workers = [0, 1, 2].map(async (w) => {
      while (busy) {
        if (w === 2) await failedSignIn(frozen.url, x.users.viewer.email);
        else
          await request(frozen.url, {
            method: "POST",
            path: "/api/v1/policies",
            headers: xSessionF,
            body: { rules: POLICY },
            timeoutMs: 120_000,
          });
      }
    });
    await Promise.all(workers);
  })();
  await sleep(1000);
  const pgPort = ctx.pg.opts.port;
  const fpid = frozen.proc.pid!;
  let caught: Caught[] = [];
  let attempts = 0;
  while (attempts < 60) {
    attempts++;
    process.kill(fpid, "SIGSTOP");
    await sleep(30);
    caught = (await heldByInstance(fpid, pgPort)).filter((c) => c.locks > 0);
    if (caught.length > 0) break;
    process.kill(fpid, "SIGCONT");
    await sleep(40 + Math.random() * 200);
  }
  busy = false;
  if (caught.length === 0) {
    process.kill(fpid, "SIGCONT");
    await frozenLoad;
    await stopApp(frozen);
    return report({
      name: "SIGSTOP an instance inside a transaction",
      pass: false,
      numbers: { attempts },
      problems: ["could not catch the instance inside a transaction holding a lock"],
    });
  }
  const frozenAt = performance.now();
  // While frozen: the healthy instance's load, and note when the server frees the frozen transaction.
  let releasedAt: number | null = null;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const still = await heldByInstance(fpid, pgPort);
      if (releasedAt === null && !still.some((c) => caught.some((k) => k.pid === c.pid)))
        releasedAt = performance.now();
      await sleep(200);
    }
  })();
  const signInAnswers: Answer[] = [];
  let frozenPhaseOver = false;
  const [during] = await Promise.all([
    load(freezeSeconds * 1000),
    xSignInFailures(() => frozenPhaseOver, signInAnswers).catch(() => {}),
    (async () => {
      await sleep(freezeSeconds * 1000);
      frozenPhaseOver = true;
    })(),
  ]);
  watching = false;
  await watcher;
  // Thaw and recover.
  const thawAt = performance.now();
  process.kill(fpid, "SIGCONT");
  await frozenLoad;
  let recoveredMs: number | null = null;
  let frozenSubmit: Answer | null = null;
  for (let i = 0; i < 60; i++) {
    const h = await request(frozen.url, { path: "/api/health", timeoutMs: 5000 });
    frozenSubmit = await request(frozen.url, submit(x.agents[0]!, -1));
    if (h.status === 200 && frozenSubmit.status === 201) {
      recoveredMs = performance.now() - thawAt;
      break;
    }
    await sleep(250);
  }
  await stopApp(frozen);

  const yDuring = during.filter((a) => a.tag === "Y submit");
  const yP99 = percentile(
    yDuring.map((a) => a.ms),
    99,
  );
  const xAll: Answer[] = [...during.filter((a) => a.tag !== "Y submit"), ...signInAnswers];
  const x503 = xAll.filter((a) => a.status === 503);
  const xBad = xAll.filter((a) => a.status >= 500 && !proper503(a)).concat(xAll.filter((a) => a.status === 0));
  const xSlowest = Math.max(...xAll.map((a) => a.ms));
  const x503Slowest = x503.length ? Math.max(...x503.map((a) => a.ms)) : 0;
  const budget = 2 * ctx.settings.lockTimeoutMs + 1500;
  const yFailed = yDuring.filter((a) => a.status !== 201);
  if (yFailed.length > 0)
    problems.push(
      `the other organization got ${yFailed.length} failures: ${JSON.stringify(countBy(yFailed, (a) => a.status))}`,
    );
  if (yP99 > 2 * yBaseP99)
    problems.push(`the other organization's p99 ${ms(yP99)} is over 2× its baseline ${ms(yBaseP99)}`);
  if (xBad.length > 0)
    problems.push(
      `the locked organization got ${xBad.length} answers that are not a proper 503: ${JSON.stringify(countBy(xBad, (a) => a.status))}`,
    );
  if (xSlowest > budget) problems.push(`the locked organization waited ${ms(xSlowest)} (budget ${ms(budget)}): a hang`);
  if (recoveredMs === null) problems.push("the thawed instance did not recover");
  const releasedAfter = releasedAt === null ? null : releasedAt - frozenAt;
  if (releasedAfter === null)
    problems.push("the server never freed the frozen transaction's locks while it was frozen");
  const byTag = (tag: string) => {
    const list = tag === "X failed sign-in" ? signInAnswers : during.filter((a) => a.tag === tag);
    return `${list.length} requests, ${JSON.stringify(countBy(list, (a) => a.status))}, p99 ${ms(
      percentile(
        list.map((a) => a.ms),
        99,
      ),
    )}`;
  };
  return report({
    name: `SIGSTOP an instance inside a transaction (frozen ${freezeSeconds} s; the other organization on a second instance)`,
    pass: problems.length === 0,
    numbers: {
      "caught after": `${attempts} freeze attempts`,
      "frozen transaction(s)": caught.map(
        (c) =>
          `pid ${c.pid}: ${c.locks} locks, open ${c.xact_age_ms} ms, last statement "${c.query.replace(/\s+/g, " ").slice(0, 80)}"`,
      ),
      "locks freed by the server after": releasedAfter === null ? "never" : ms(releasedAfter),
      "other org (Y) p99: baseline → while frozen": `${ms(yBaseP99)} → ${ms(yP99)} (${(yP99 / yBaseP99).toFixed(2)}×)`,
      "Y while frozen": byTag("Y submit"),
      "X submissions while frozen": byTag("X submit"),
      "X policy drafts while frozen": byTag("X policy draft"),
      "X failed sign-ins while frozen": byTag("X failed sign-in"),
      "X 503s: count / all with Retry-After / slowest": `${x503.length} / ${x503.every(proper503)} / ${ms(x503Slowest)}`,
      "X slowest answer": ms(xSlowest),
      "thawed instance healthy and submitting after": recoveredMs === null ? "never" : ms(recoveredMs),
    },
    problems,
  });
}
