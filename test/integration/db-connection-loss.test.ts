import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { POST as submit } from "@/app/api/v1/actions/route";
import { POST as createAgent } from "@/app/api/v1/agents/route";
import { closeDb } from "@/lib/db/client";
import { withTenantSql } from "@/lib/db/sql";
import { withTenant } from "@/lib/db/tenant";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, uniqueSlug, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, publishPolicy, type TestAgent } from "../helpers/firewall";
import { call, sessionCookie } from "../helpers/http";
import { bearer } from "../helpers/keys";

/**
 * Issue 20, item 2: a request whose database connection dies under it (here
 * pg_terminate_backend on the app's own backend, what a PostgreSQL restart or
 * failover does) gets 503 problem+json with Retry-After, never a 500; nothing
 * is half-written, and the next request works on a fresh connection.
 *
 * To catch the request mid-flight, the organization's audit-chain head is
 * locked from a second connection: the request's transaction parks on that
 * lock, and the test ends its backend while it waits. The lock timeout is
 * raised for this file so it is the termination, not the timeout, that ends it.
 */
process.env.DB_LOCK_TIMEOUT_MS = "30000";

let t: TestOrg;
let agent: TestAgent;
let admin: string;

beforeAll(async () => {
  t = await createTestOrg("loss");
  await publishPolicy(t, [{ name: "all", condition: "true", effect: "allow", risk_level: "low" }]);
  agent = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
  admin = (await sessionCookie(t.users.admin.id)).cookie;
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const headSeq = async () =>
  Number((await owner().query(`SELECT seq FROM audit_heads WHERE org_id = $1`, [t.org.id])).rows[0].seq);

/** Locks the organization's chain head from a connection of its own; returns the release. */
async function lockHead(): Promise<{ client: pg.PoolClient; release: () => Promise<void> }> {
  const client = await owner().connect();
  await client.query("BEGIN");
  await client.query("SELECT 1 FROM audit_heads WHERE org_id = $1 FOR UPDATE", [t.org.id]);
  return {
    client,
    release: async () => {
      await client.query("ROLLBACK");
      client.release();
    },
  };
}

/** Waits until one of the app's backends waits on a lock, and returns its pid. */
async function waitingAppBackend(): Promise<number> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { rows } = await owner().query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND usename = 'warden_app'
          AND application_name LIKE 'warden%' AND wait_event_type = 'Lock'`,
    );
    if (rows[0]) return rows[0].pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("no app backend ever waited on the lock");
}

async function terminateMidRequest<T extends { status: number }>(request: () => Promise<T>): Promise<T> {
  const before = await headSeq();
  const lock = await lockHead();
  try {
    const pending = request();
    const pid = await waitingAppBackend();
    await owner().query("SELECT pg_terminate_backend($1)", [pid]);
    const res = await pending;
    expect(await headSeq()).toBe(before); // nothing half-written
    return res;
  } finally {
    await lock.release();
  }
}

const expect503 = (res: { status: number; headers: Headers; json: Record<string, unknown> }) => {
  expect(res.status).toBe(503);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(res.json).toMatchObject({ status: 503, code: "unavailable" });
  expect(JSON.stringify(res.json)).not.toMatch(/terminat|57P01|stack/i);
};

describe("a connection killed mid-request", () => {
  it("hot path (POST /api/v1/actions, pipelined pool): 503 + Retry-After, then recovers", async () => {
    const res = await terminateMidRequest(() =>
      call(submit, {
        method: "POST",
        headers: bearer(agent.token),
        body: { tool: "payments", operation: "pay", params: {} },
      }),
    );
    expect503(res);
    const again = await call(submit, {
      method: "POST",
      headers: bearer(agent.token),
      body: { tool: "payments", operation: "pay", params: {} },
    });
    expect(again.status).toBe(201);
  });

  it("typed-client path (POST /api/v1/agents, Prisma on adapter-pg): 503 + Retry-After, then recovers", async () => {
    const body = () => ({ slug: uniqueSlug("bot"), name: "Bot", environment: "production", tools: { allowed: [] } });
    const res = await terminateMidRequest(() =>
      call(createAgent, { method: "POST", cookie: admin, org: t.org.slug, body: body() }),
    );
    expect503(res);
    const again = await call(createAgent, { method: "POST", cookie: admin, org: t.org.slug, body: body() });
    expect(again.status).toBe(201);
  });
});

describe("session limits", () => {
  const settings = `SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS stmt,
                            current_setting('idle_in_transaction_session_timeout') AS idle,
                            current_setting('tcp_keepalives_idle') AS keepalive`;

  it("every app pool logs in with lock, statement and idle-in-transaction timeouts and keepalive", async () => {
    const hot = await withTenantSql({ orgId: t.org.id }, (sql) => sql.query(settings));
    expect(hot[0]).toEqual({ lock: "30s", stmt: "5s", idle: "5s", keepalive: "30" });
    const typed = await withTenant({ orgId: t.org.id }, (tx) => tx.$queryRawUnsafe<Record<string, string>[]>(settings));
    expect(typed[0]).toEqual({ lock: "30s", stmt: "15s", idle: "10s", keepalive: "30" });
  });

  it("a long job's transaction raises its own statement and idle limits, for that transaction only", async () => {
    const long = await withTenant({ orgId: t.org.id }, (tx) => tx.$queryRawUnsafe<Record<string, string>[]>(settings), {
      timeoutMs: 60_000,
    });
    expect(long[0]).toMatchObject({ stmt: "1min", idle: "1min" });
    const after = await withTenant({ orgId: t.org.id }, (tx) => tx.$queryRawUnsafe<Record<string, string>[]>(settings));
    expect(after[0]).toMatchObject({ stmt: "15s", idle: "10s" });
  });

  it("the migration sets the same defaults on warden_app in this database (for any other connection as the app)", async () => {
    const { rows } = await owner().query<{ setconfig: string[] }>(
      `SELECT setconfig FROM pg_db_role_setting
        WHERE setrole = 'warden_app'::regrole AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(rows[0]?.setconfig).toEqual(
      expect.arrayContaining(["lock_timeout=2s", "statement_timeout=15s", "idle_in_transaction_session_timeout=10s"]),
    );
  });

  it("a statement past the timeout is cancelled and answered 503, not left running", async () => {
    const started = Date.now();
    const err = await withTenantSql({ orgId: t.org.id }, (sql) => sql.query("SELECT pg_sleep(30)")).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    const { classifyDbFailure } = await import("@/lib/db/errors");
    expect(classifyDbFailure(err)).toBe("busy");
  });
});
