import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db/client";
import { runExportExpirySweep } from "@/lib/exports/requests";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";

let a: TestOrg;
let b: TestOrg;

/** Inserts an export request as it would stand after some time (owner: the app cannot backdate). */
async function request(t: TestOrg, status: string, at: { created?: string; decided?: string; expires?: string }) {
  const { rows } = await owner().query<{ id: string }>(
    `INSERT INTO audit_export_requests (org_id, requested_by_user_id, format, through_seq, estimated_events,
       estimated_bytes, status, approval_expires_at, decided_at, created_at)
     VALUES ($1, $2, 'jsonl', 0, 0, 0, $3, now() + $4::interval, now() + $5::interval, now() + $6::interval)
     RETURNING id::text`,
    [t.org.id, t.users.auditor.id, status, at.expires ?? null, at.decided ?? null, at.created ?? "0 seconds"],
  );
  return rows[0]!.id;
}
const statusOf = async (id: string) =>
  (await owner().query<{ status: string }>("SELECT status FROM audit_export_requests WHERE id = $1", [id])).rows[0]!
    .status;
const expiredEvents = async (t: TestOrg, id: string) =>
  (
    await owner().query(
      "SELECT 1 FROM audit_events WHERE org_id = $1 AND action = 'audit.export_expired' AND target_id = $2",
      [t.org.id, id],
    )
  ).rowCount;

beforeAll(async () => {
  a = await createTestOrg("expa");
  b = await createTestOrg("expb");
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

describe("the export expiry sweep", () => {
  it("records every request whose time ran out, once, with its audit event, in each organization", async () => {
    const pendingDue = await request(a, "pending_approval", { expires: "-1 minute", created: "-2 hours" });
    const pendingLive = await request(a, "pending_approval", { expires: "+1 hour" });
    const approvedDue = await request(a, "approved", { decided: "-25 hours", created: "-26 hours" });
    const approvedLive = await request(a, "approved", { decided: "-1 hour", created: "-2 hours" });
    const readyDue = await request(b, "ready", { created: "-2 hours" });
    const readyLive = await request(b, "ready", { created: "-10 minutes" });
    const started = await request(b, "started", { created: "-3 days" });

    expect(await runExportExpirySweep()).toBeGreaterThanOrEqual(3);
    for (const id of [pendingDue, approvedDue]) {
      expect(await statusOf(id)).toBe("expired");
      expect(await expiredEvents(a, id)).toBe(1);
    }
    expect(await statusOf(readyDue)).toBe("expired");
    expect(await expiredEvents(b, readyDue)).toBe(1);
    for (const id of [pendingLive, approvedLive, readyLive, started]) {
      expect(["pending_approval", "approved", "ready", "started"]).toContain(await statusOf(id));
    }
    // The events land in each request's own organization's chain, never the other's.
    expect(await expiredEvents(b, pendingDue)).toBe(0);
    expect(await expiredEvents(a, readyDue)).toBe(0);

    // A second pass finds nothing new for these: no duplicate events.
    await runExportExpirySweep();
    expect(await expiredEvents(a, pendingDue)).toBe(1);
    expect(await expiredEvents(b, readyDue)).toBe(1);
  });
});
