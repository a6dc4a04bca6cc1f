import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgentWithKey, publishPolicy } from "../helpers/firewall";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, TEST_PASSWORD, type TestOrg } from "../helpers/fixtures";
import { freePort } from "../../scripts/lib/embedded-pg";

/**
 * Three app processes (the production build, `node server.mjs`) on one
 * database behave as one Warden: an action submitted on A is approved on B
 * while C long-polls it; the live queue on every instance shows the same
 * approvals; an agent's rate limit is shared; and each background job runs
 * once per tick across the three (not once per instance).
 *
 * Needs `next build` first: scripts/test.sh runs it after the build as
 * `WARDEN_CLUSTER_TEST=1 vitest run --project cluster`.
 */
const root = path.resolve(import.meta.dirname, "../..");
const CHECKPOINT_TICK_MS = 3000; // CHECKPOINT_INTERVAL_MINUTES=0.05 below
const EXPIRY_TICK_MS = 1000; // APPROVAL_SWEEP_INTERVAL_SECONDS=1

type Instance = { name: string; url: string; proc: ChildProcess; output: string[] };
const instances: Instance[] = [];
let t: TestOrg;
let startedAt: Date;

function serverEnv(port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    PORT: String(port),
    HOST: "127.0.0.1",
    APP_DATABASE_URL: process.env.APP_DATABASE_URL,
    NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET,
    NEXTAUTH_URL: `http://127.0.0.1:${port}`,
    WARDEN_ENCRYPTION_KEYS: process.env.WARDEN_ENCRYPTION_KEYS,
    WARDEN_AUDIT_SIGNING_KEYS: process.env.WARDEN_AUDIT_SIGNING_KEYS,
    APPROVAL_SWEEP_INTERVAL_SECONDS: "1",
    CHECKPOINT_INTERVAL_MINUTES: "0.05",
    RETENTION_SWEEP_INTERVAL_MINUTES: "0.05",
    DB_POOL_MAX: "4",
    LOG_LEVEL: "warn",
    ...extra,
  };
}

function launch(name: string, port: number, extra: Record<string, string> = {}): Instance {
  const proc = spawn(process.execPath, ["server.mjs"], { cwd: root, env: serverEnv(port, extra) });
  const output: string[] = [];
  const keep = (b: Buffer) => {
    output.push(b.toString());
    if (output.length > 200) output.shift();
  };
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  return { name, url: `http://127.0.0.1:${port}`, proc, output };
}

async function waitHealthy(i: Instance): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (i.proc.exitCode !== null) throw new Error(`${i.name} exited: ${i.output.join("")}`);
    try {
      if ((await fetch(`${i.url}/api/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${i.name} did not become healthy: ${i.output.join("")}`);
}

const byName = (n: string) => instances.find((i) => i.name === n)!;

async function api(
  i: Instance,
  method: string,
  p: string,
  opts: { token?: string; cookie?: string; body?: unknown } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) {
    headers.cookie = opts.cookie;
    headers["x-warden-org"] = t.org.slug;
    if (method !== "GET") headers.origin = i.url;
  }
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${i.url}${p}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A real sign-in through next-auth's credentials endpoint on one instance; returns the session cookie. */
async function signIn(i: Instance, email: string): Promise<string> {
  const csrf = await fetch(`${i.url}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const csrfCookie = csrf.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const res = await fetch(`${i.url}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie, origin: i.url },
    body: new URLSearchParams({ csrfToken, email, password: TEST_PASSWORD, json: "true" }).toString(),
  });
  const session = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .find((c) => c.startsWith("next-auth.session-token="));
  if (!session) throw new Error(`sign-in on ${i.name} failed: ${res.status}`);
  return session;
}

beforeAll(async () => {
  t = await createTestOrg("cluster");
  await publishPolicy(t, [
    { name: "payments need one", condition: 'operation == "pay"', effect: "require_approval", risk_level: "high" },
    { name: "reads are fine", condition: 'operation == "read"', effect: "allow", risk_level: "low" },
    { name: "nothing else", condition: "true", effect: "deny", risk_level: "medium" },
  ]);
  startedAt = new Date();
  const ports = [await freePort(), await freePort(), await freePort()];
  instances.push(launch("A", ports[0]!), launch("B", ports[1]!), launch("C", ports[2]!));
  await Promise.all(instances.map(waitHealthy));
}, 180_000);

afterAll(async () => {
  await Promise.all(
    instances.map(
      (i) =>
        new Promise<void>((resolve) => {
          if (i.proc.exitCode !== null) return resolve();
          i.proc.once("exit", () => resolve());
          i.proc.kill("SIGTERM");
          setTimeout(() => i.proc.kill("SIGKILL"), 10_000).unref();
        }),
    ),
  );
  await closeOwner();
});

describe("three app instances on one database", () => {
  it("submit on A, see it queued on B and C, approve on B, and C's long-poll returns the decision", async () => {
    const agent = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
    const approver = await signIn(byName("B"), t.users.approver.email);

    const submitted = await api(byName("A"), "POST", "/api/v1/actions", {
      token: agent.token,
      body: { tool: "payments", operation: "pay", params: { amount: 250, currency: "EUR" } },
    });
    expect(submitted.status).toBe(201);
    expect(submitted.json.status).toBe("pending");
    const actionId = submitted.json.id as string;
    const approvalId = (submitted.json.approval as { id: string }).id;

    // The live queue is the same on every instance.
    for (const i of instances) {
      const queue = await api(i, "GET", "/api/v1/approvals", { cookie: approver });
      expect(queue.status, i.name).toBe(200);
      expect(JSON.stringify(queue.json), i.name).toContain(approvalId);
    }

    // C long-polls; B approves a moment later.
    const polling = api(byName("C"), "GET", `/api/v1/actions/${actionId}?wait=25`, { token: agent.token });
    await new Promise((r) => setTimeout(r, 500));
    const approvedAt = Date.now();
    const approved = await api(byName("B"), "POST", `/api/v1/approvals/${approvalId}/approve`, {
      cookie: approver,
      body: { reason: "Checked on instance B", payload_hash: submitted.json.payload_hash },
    });
    expect(approved.status, JSON.stringify(approved.json)).toBe(200);
    const polled = await polling;
    expect(polled.status).toBe(200);
    expect(polled.json.status).toBe("approved");
    // Woken by the notification from B's commit, not by the 25 s timeout.
    expect(Date.now() - approvedAt).toBeLessThan(10_000);

    const after = await api(byName("A"), "GET", "/api/v1/approvals", { cookie: approver });
    expect(JSON.stringify(after.json)).not.toContain(approvalId);
  });

  it("an agent's rate limit is shared by the instances, not multiplied by them", async () => {
    const agent = await createAgentWithKey(t, { tools: { allowed: ["payments"] }, rate_limit_per_minute: 5 });
    const statuses: number[] = [];
    for (let n = 0; n < 9; n++) {
      const res = await api(instances[n % 3]!, "POST", "/api/v1/actions", {
        token: agent.token,
        body: { tool: "payments", operation: "read", params: { n } },
      });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
  });

  it("background jobs run once per tick across the three: approval expiry, and one scheduled checkpoint per tick", async () => {
    const agent = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
    // Keep the organization's log growing so it is due for a checkpoint at every tick.
    const until = Date.now() + 4 * CHECKPOINT_TICK_MS;
    let n = 0;
    while (Date.now() < until) {
      const res = await api(instances[n % 3]!, "POST", "/api/v1/actions", {
        token: agent.token,
        body: { tool: "payments", operation: "read", params: { n: n++ } },
      });
      expect(res.status).toBe(201);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, CHECKPOINT_TICK_MS));
    const elapsedMs = Date.now() - startedAt.getTime();

    const runs = async (job: string) =>
      (
        await owner().query<{ tick: string; instance: string; ok: boolean | null }>(
          `SELECT tick::text, instance, ok FROM job_runs WHERE job = $1 AND started_at >= $2 ORDER BY tick`,
          [job, startedAt],
        )
      ).rows;
    const expiry = await runs("approval-expiry");
    const checkpoints = await runs("audit-checkpoints");
    for (const [job, rows, tickMs] of [
      ["approval-expiry", expiry, EXPIRY_TICK_MS],
      ["audit-checkpoints", checkpoints, CHECKPOINT_TICK_MS],
    ] as const) {
      expect(rows.length, job).toBeGreaterThanOrEqual(3);
      // At most one run per tick that has started since the instances did.
      expect(rows.length, job).toBeLessThanOrEqual(Math.ceil(elapsedMs / tickMs) + 1);
      expect(new Set(rows.map((r) => r.tick)).size, job).toBe(rows.length);
      expect(rows.every((r) => r.ok !== false)).toBe(true);
    }
    // The ticks are shared out: more than one instance won some.
    expect(new Set(expiry.map((r) => r.instance)).size).toBeGreaterThanOrEqual(2);

    const made = await owner().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_checkpoints WHERE org_id = $1 AND reason = 'scheduled' AND created_at >= $2`,
      [t.org.id, startedAt],
    );
    expect(made.rows[0]!.n).toBeGreaterThanOrEqual(2);
    expect(made.rows[0]!.n).toBeLessThanOrEqual(checkpoints.length);
  });

  it("an instance whose database role is a superuser refuses to start, and says why", async () => {
    const port = await freePort();
    const bad = launch("superuser", port, { APP_DATABASE_URL: process.env.TEST_OWNER_DATABASE_URL! });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        bad.proc.kill("SIGKILL");
        resolve(null);
      }, 120_000);
      bad.proc.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(1);
    const out = bad.output.join("");
    expect(out).toMatch(/Warden refuses to start/);
    expect(out).toMatch(/is a superuser/);
  });
});
