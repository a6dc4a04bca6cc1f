import { afterEach, describe, expect, it } from "vitest";
import { GET } from "@/app/api/health/route";
import { GET as unknownApi } from "@/app/api/[...path]/route";
import { GET as ready } from "@/app/api/health/ready/route";
import { GET as readyNew } from "@/app/api/ready/route";
import { fullReadiness } from "@/lib/jobs/readiness";
import { appendAuditEvent } from "@/lib/audit/append-event";
import type { AuditEventName } from "@/lib/audit/event-names";
import { withTenant } from "@/lib/db/tenant";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg } from "../helpers/fixtures";
import { closeDb } from "@/lib/db/client";

afterEach(closeDb);

describe("GET /api/health", () => {
  it("200 {status: ok} when the database answers", async () => {
    const res = await GET();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("503 when the database does not answer", async () => {
    const good = process.env.APP_DATABASE_URL!;
    const bad = new URL(good);
    bad.port = "1"; // nothing listens there
    process.env.APP_DATABASE_URL = bad.toString();
    // env() caches the validated environment; reload the module graph for this case.
    const { vi } = await import("vitest");
    vi.resetModules();
    try {
      const { GET: fresh } = await import("@/app/api/health/route");
      const res = await fresh();
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: "unavailable" });
      const { closeDb: closeFresh } = await import("@/lib/db/client");
      await closeFresh();
    } finally {
      process.env.APP_DATABASE_URL = good;
    }
  });
});

describe("unknown API paths", () => {
  it("answer 404 problem+json, not an HTML page", async () => {
    const res = unknownApi();
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("GET /api/health/ready", () => {
  it("200 with each pool's round trip and occupancy, the bulkheads, and the lock waits", async () => {
    const res = await ready();
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.status).toBe("ok");
    for (const pool of ["tenant", "hot", "infra"]) {
      expect(body.pools[pool]).toMatchObject({ ok: true, max: expect.any(Number), waiting: 0 });
    }
    expect(body.bulkheads.hot).toMatchObject({ limit: expect.any(Number), saturated: 0 });
    expect(body.lock_waits).toEqual({ count: 0, longest_ms: 0 });
    expect(JSON.stringify(body)).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/); // no tenant ids
    expect(body.migrations).toMatchObject({ ok: true, pending: [] });
    expect(body.migrations.applied).toBeGreaterThan(15);
    expect(body.jobs).toMatchObject({ ok: true, overdue: [], scheduler_started: false });
    expect(Object.keys(body.jobs.last_success)).toContain("approval-expiry");
    // /api/ready is the same answer.
    const same = await (await readyNew()).json();
    expect(Object.keys(same).sort()).toEqual(Object.keys(body).sort());
  });

  it("503 naming a migration the database has not applied, and ready again once it is", async () => {
    const db = owner();
    const { rows } = await db.query<{ version: string }>(
      "SELECT version FROM schema_migrations ORDER BY version DESC LIMIT 1",
    );
    const newest = rows[0]!.version;
    await db.query("DELETE FROM schema_migrations WHERE version = $1", [newest]);
    try {
      const res = await readyNew();
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body.status).toBe("unavailable");
      expect(body.migrations).toMatchObject({ ok: false, pending: [newest] });
    } finally {
      await db.query("INSERT INTO schema_migrations (version) VALUES ($1)", [newest]);
    }
    expect((await readyNew()).status).toBe(200);
  });

  it("unready when a background job has not succeeded anywhere within its allowance", async () => {
    const later = Date.now() + 10 * 24 * 3600_000;
    const stale = await fullReadiness(later);
    expect(stale.ok).toBe(false);
    expect(stale.jobs.overdue).toEqual(expect.arrayContaining(["approval-expiry", "audit-checkpoints"]));
    // A success recorded by any instance (job_runs) counts for the cluster.
    const db = owner();
    const jobs = Object.keys(stale.jobs.last_success);
    for (const [i, job] of jobs.entries()) {
      await db.query(
        `INSERT INTO job_runs (job, tick, instance, started_at, lease_until, finished_at, ok)
         VALUES ($1, $2, 'elsewhere', to_timestamp($3 / 1000.0), to_timestamp($3 / 1000.0), to_timestamp($3 / 1000.0), true)`,
        [job, 9_000_000_000 + i, later - 1000],
      );
    }
    try {
      const fresh = await fullReadiness(later);
      expect(fresh.jobs).toMatchObject({ ok: true, overdue: [] });
    } finally {
      await db.query("DELETE FROM job_runs WHERE instance = 'elsewhere' AND tick >= 9000000000");
    }
  });

  it("reports the app's connections waiting on a lock while they wait", async () => {
    const t = await createTestOrg("ready");
    const holder = await owner().connect();
    await holder.query("BEGIN");
    await holder.query("SELECT 1 FROM audit_heads WHERE org_id = $1 FOR UPDATE", [t.org.id]);
    const writer = withTenant({ orgId: t.org.id }, (tx) =>
      appendAuditEvent(tx, {
        orgId: t.org.id,
        actor: { type: "system", id: null },
        action: "test.ready" as AuditEventName,
      }),
    ).catch((e: unknown) => e);
    try {
      let waits = { count: 0, longest_ms: 0 };
      for (let i = 0; i < 50 && waits.count === 0; i++) {
        waits = (await (await ready()).json()).lock_waits;
        if (waits.count === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(waits.count).toBeGreaterThanOrEqual(1);
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
      await writer;
      await closeOwner();
    }
  });
});
