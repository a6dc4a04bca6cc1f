import { expect } from "vitest";
import { seedAuditEvents, type SeedOptions } from "@/scripts/lib/seed-audit-events";
import { owner } from "./db";

export async function headSeq(orgId: string): Promise<number> {
  return Number((await owner().query(`SELECT seq FROM audit_heads WHERE org_id = $1`, [orgId])).rows[0].seq);
}

export async function lastEvent(orgId: string) {
  return (await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`, [orgId]))
    .rows[0];
}

/** Checkpoints someone asked for (on demand or for a proof pack); the scheduler's are left out because other test files run sweeps concurrently. */
export async function requestedCheckpoints(orgId: string): Promise<number> {
  return (
    await owner().query(
      `SELECT count(*)::int AS n FROM audit_checkpoints WHERE org_id = $1 AND reason <> 'scheduled'`,
      [orgId],
    )
  ).rows[0].n;
}

/** Asserts the call wrote nothing: no audit event, no requested checkpoint. */
export async function expectNothingWritten(orgId: string, fn: () => Promise<unknown>): Promise<void> {
  const seq = await headSeq(orgId);
  const cps = await requestedCheckpoints(orgId);
  await fn();
  expect(await headSeq(orgId), "audit head moved").toBe(seq);
  expect(await requestedCheckpoints(orgId), "a checkpoint was stored").toBe(cps);
}

/** Appends `n` synthetic but correctly chained events as the owner (scripts/lib/seed-audit-events.ts). */
export async function seedEvents(orgId: string, n: number, opts: SeedOptions = {}) {
  return seedAuditEvents(owner(), orgId, n, { batch: 2000, ...opts });
}

/** Tampering as the owner: the append-only trigger is disabled only inside this transaction. */
export async function tamper(sql: string | string[], params: unknown[]): Promise<void> {
  const c = await owner().connect();
  try {
    await c.query("BEGIN");
    await c.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only");
    for (const statement of Array.isArray(sql) ? sql : [sql]) await c.query(statement, params);
    await c.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only");
    await c.query("COMMIT");
  } catch (e) {
    await c.query("ROLLBACK");
    throw e;
  } finally {
    c.release();
  }
}
