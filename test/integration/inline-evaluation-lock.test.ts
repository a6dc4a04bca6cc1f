import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAlertEvaluation } from "@/lib/alerts/evaluate-alerts";
import { createRule } from "@/lib/alerts/rules";
import { templateById } from "@/lib/alerts/templates";
import { verifyChain } from "@/lib/audit/verify-chain";
import { auditSignInFailure } from "@/lib/auth/sessions";
import { closeDb } from "@/lib/db/client";
import { classifyDbFailure } from "@/lib/db/errors";
import { requestExport, startExport } from "@/lib/exports/requests";
import { seedEvents } from "../helpers/audit";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { memberContext } from "../helpers/keys";

/**
 * Issue 20: the two writers whose events the alert rules judge at once
 * (failed sign-ins: the lock after too many; export requests: the approval of
 * a large one) no longer hold the organization's audit head while the rules
 * run. Their event goes out with their transaction's COMMIT; the evaluation
 * runs right after, in a transaction of its own. Each test freezes that
 * evaluation halfway (a row it needs is held by another connection) and
 * checks, from a third, that the head is free and the event already
 * committed; then lets it finish and checks its effect. And when the
 * evaluation never happens (its process died between the two), the next
 * evaluation, the evaluator's tick or the export's download catches up: fail
 * closed.
 */
let t: TestOrg;
let e: TestOrg;
const meta = { ip: "203.0.113.9", userAgent: "vitest" };

beforeAll(async () => {
  [t, e] = await Promise.all([createTestOrg("inl-signin"), createTestOrg("inl-export")]);
  await createRule(memberContext(t), {
    name: "Failed sign-ins",
    mode: "active",
    spec: {
      actions: ["auth.sign_in_failed"],
      condition: 'actor.type == "user"',
      group_by: ["actor.id"],
      aggregation: { kind: "count", threshold: 3, window_seconds: 600 },
      responses: [{ type: "lock_user", subject: "actor", duration_seconds: 600 }],
      severity: "critical",
      cooldown_seconds: 0,
      max_responses_per_hour: 20,
    },
  });
  await seedEvents(e.org.id, 200);
  await createRule(memberContext(e), {
    name: "Large audit export",
    template: "large_export",
    mode: "active",
    spec: { ...templateById("large_export")!.spec, condition: "data.estimated_bytes > 1000.0" },
  });
});

afterAll(async () => {
  await closeOwner();
  await closeDb();
});

/** True when another connection can lock the head right now (NOWAIT). */
async function headIsFree(orgId: string): Promise<boolean> {
  const c = await owner().connect();
  try {
    await c.query("BEGIN");
    await c.query("SELECT 1 FROM audit_heads WHERE org_id = $1 FOR UPDATE NOWAIT", [orgId]);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "55P03") return false;
    throw err;
  } finally {
    await c.query("ROLLBACK");
    c.release();
  }
}

/** Holds rows FOR UPDATE from another connection until released. */
async function hold(sql: string, values: unknown[]): Promise<{ release: () => Promise<void>; client: pg.PoolClient }> {
  const client = await owner().connect();
  await client.query("BEGIN");
  const r = await client.query(sql, values);
  expect(r.rowCount).toBeGreaterThan(0);
  return {
    client,
    release: async () => {
      await client.query("ROLLBACK");
      client.release();
    },
  };
}

/** Waits until an app connection waits on a lock (the evaluation has reached the held row). */
async function someoneWaits(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await owner().query(
      `SELECT 1 FROM pg_stat_activity WHERE usename = 'warden_app' AND wait_event_type = 'Lock'`,
    );
    if (r.rowCount) return;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error("nobody waits on the held row");
}

/** The request fails the way a lock timeout does: "busy" (503 + Retry-After at the HTTP layer). */
async function failsBusy(p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(err, "expected a failure").not.toBeNull();
  expect(classifyDbFailure(err)).toBe("busy");
}

const count = async (orgId: string, action: string, extra = "") =>
  Number(
    (
      await owner().query(`SELECT count(*) AS n FROM audit_events WHERE org_id = $1 AND action = $2 ${extra}`, [
        orgId,
        action,
      ])
    ).rows[0].n,
  );

const locked = async (orgId: string, userId: string) =>
  (
    await owner().query(`SELECT 1 FROM member_locks WHERE org_id = $1 AND user_id = $2 AND locked_until > now()`, [
      orgId,
      userId,
    ])
  ).rowCount === 1;

describe("failed sign-ins: the head is free while the rules judge them", () => {
  it("the event is committed and the head free while the evaluation waits halfway; then the rule counts it", async () => {
    const user = t.users.viewer;
    await auditSignInFailure(user.id, "bad_credentials", meta); // creates the rule's group for this user
    const groupKey = JSON.stringify([user.id]);
    const h = await hold(`SELECT 1 FROM alert_groups WHERE org_id = $1 AND group_key = $2 FOR UPDATE`, [
      t.org.id,
      groupKey,
    ]);
    const before = await count(t.org.id, "auth.sign_in_failed");
    const failing = auditSignInFailure(user.id, "bad_credentials", meta);
    try {
      await someoneWaits();
      // Recorded (committed) already, and nobody holds the head.
      expect(await count(t.org.id, "auth.sign_in_failed")).toBe(before + 1);
      expect(await headIsFree(t.org.id)).toBe(true);
    } finally {
      await h.release();
    }
    await failing;
    expect(await locked(t.org.id, user.id)).toBe(false); // 2 of 3
    await auditSignInFailure(user.id, "bad_credentials", meta);
    expect(await locked(t.org.id, user.id)).toBe(true); // the third locks at once, before the answer
    expect((await verifyChain(t.org.id)).ok).toBe(true);
  });

  it("an evaluation that never ran is caught up by the next one, in order, exactly once", async () => {
    const user = t.users.auditor;
    // The inline cursor held past the lock timeout: the failure is recorded, its evaluation fails.
    const h = await hold(`SELECT 1 FROM alert_inline_cursors WHERE org_id = $1 FOR UPDATE`, [t.org.id]);
    try {
      await failsBusy(auditSignInFailure(user.id, "bad_credentials", meta));
      await failsBusy(auditSignInFailure(user.id, "bad_credentials", meta));
    } finally {
      await h.release();
    }
    expect(await locked(t.org.id, user.id)).toBe(false);
    // The evaluator's tick catches up on both…
    await runAlertEvaluation();
    const state = await owner().query(`SELECT state FROM alert_groups WHERE org_id = $1 AND group_key = $2`, [
      t.org.id,
      JSON.stringify([user.id]),
    ]);
    expect((state.rows[0].state as { refs: unknown[] }).refs).toHaveLength(2);
    // …and the third failure (evaluated at once) is counted once with them: locked.
    await auditSignInFailure(user.id, "bad_credentials", meta);
    expect(await locked(t.org.id, user.id)).toBe(true);
    const firings = await owner().query(`SELECT triggering FROM alert_firings WHERE org_id = $1 AND group_key = $2`, [
      t.org.id,
      JSON.stringify([user.id]),
    ]);
    expect(firings.rowCount).toBe(1);
    expect(firings.rows[0].triggering).toHaveLength(3);
    expect((await verifyChain(t.org.id)).ok).toBe(true);
  }, 30_000);
});

describe("export requests: the head is free while the rules judge them", () => {
  it("the request is recorded and the head free while the evaluation waits halfway; then it waits for an approval", async () => {
    const ctx = memberContext(e, "auditor");
    await requestExport(ctx, { format: "jsonl" }, null); // creates the rule's (single) group
    const h = await hold(`SELECT 1 FROM alert_groups WHERE org_id = $1 FOR UPDATE`, [e.org.id]);
    const before = await count(e.org.id, "audit.export_requested");
    const requesting = requestExport(ctx, { format: "jsonl" }, null);
    try {
      await someoneWaits();
      expect(await count(e.org.id, "audit.export_requested")).toBe(before + 1);
      expect(await headIsFree(e.org.id)).toBe(true);
    } finally {
      await h.release();
    }
    const view = await requesting;
    expect(view.status).toBe("pending_approval");
    expect((await verifyChain(e.org.id)).ok).toBe(true);
  });

  it("a request whose evaluation failed cannot be downloaded before the rules have judged it (fail closed)", async () => {
    const ctx = memberContext(e, "auditor");
    const h = await hold(`SELECT 1 FROM alert_inline_cursors WHERE org_id = $1 FOR UPDATE`, [e.org.id]);
    try {
      await failsBusy(requestExport(ctx, { format: "jsonl" }, null));
    } finally {
      await h.release();
    }
    const row = await owner().query(
      `SELECT id::text, status FROM audit_export_requests WHERE org_id = $1 ORDER BY created_at DESC LIMIT 1`,
      [e.org.id],
    );
    expect(row.rows[0].status).toBe("ready"); // recorded, not yet judged
    await expect(startExport(ctx, row.rows[0].id)).rejects.toMatchObject({ code: "conflict" });
    const after = await owner().query(`SELECT status FROM audit_export_requests WHERE org_id = $1 AND id = $2`, [
      e.org.id,
      row.rows[0].id,
    ]);
    expect(after.rows[0].status).toBe("pending_approval");
    expect((await verifyChain(e.org.id)).ok).toBe(true);
  }, 30_000);
});
