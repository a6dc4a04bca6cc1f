import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAuditEvent } from "@/lib/audit/append-event";
import { verifyChain } from "@/lib/audit/verify-chain";
import { closeDb } from "@/lib/db/client";
import { withTenant } from "@/lib/db/tenant";
import { createOrganization } from "@/lib/orgs/create-organization";
import { appClient, closeOwner, owner } from "../helpers/db";
import { tamper } from "../helpers/audit";
import { uniqueSlug } from "../helpers/fixtures";
import type { AuditEventName } from "@/lib/audit/event-names";

afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function newOrgWithEvents(n: number): Promise<string> {
  const org = await createOrganization({ slug: uniqueSlug("chain"), name: "Chain" });
  for (let i = 0; i < n; i++) {
    await withTenant({ orgId: org.id }, (tx) =>
      appendAuditEvent(tx, {
        orgId: org.id,
        actor: { type: "system", id: null },
        action: "test.event" as AuditEventName,
        data: { i, text: `event ${i}` },
      }),
    );
  }
  return org.id;
}

describe("concurrent appends", () => {
  it("50 concurrent appends in one organization give one linear chain without gaps", async () => {
    const org = await createOrganization({ slug: uniqueSlug("conc"), name: "Concurrent" });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        withTenant({ orgId: org.id }, async (tx) => {
          await new Promise((r) => setTimeout(r, Math.random() * 5));
          return appendAuditEvent(tx, {
            orgId: org.id,
            actor: { type: "system", id: null },
            action: "test.concurrent" as AuditEventName,
            data: { i },
          });
        }),
      ),
    );
    const rows = (
      await owner().query(`SELECT seq::int, prev_hash, hash FROM audit_events WHERE org_id = $1 ORDER BY seq`, [org.id])
    ).rows as { seq: number; prev_hash: string; hash: string }[];
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1)); // + org.created
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(new Set(rows.map((r) => r.hash)).size).toBe(rows.length);
    expect(await verifyChain(org.id)).toMatchObject({ ok: true, length: 51 });
  });

  it("an event rolled back with its transaction leaves no gap", async () => {
    const orgId = await newOrgWithEvents(2);
    await expect(
      withTenant({ orgId }, async (tx) => {
        await appendAuditEvent(tx, {
          orgId,
          actor: { type: "system", id: null },
          action: "test.rolled_back" as AuditEventName,
        });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    await newAppend(orgId);
    expect(await verifyChain(orgId)).toMatchObject({ ok: true, length: 4 });
  });
});

async function newAppend(orgId: string) {
  await withTenant({ orgId }, (tx) =>
    appendAuditEvent(tx, { orgId, actor: { type: "system", id: null }, action: "test.after" as AuditEventName }),
  );
}

describe("tamper evidence (as the owner)", () => {
  let orgId: string;
  beforeAll(async () => {
    orgId = await newOrgWithEvents(6); // seq 1 = org.created, 2..7 = test events
  });

  it("an untouched chain verifies", async () => {
    expect(await verifyChain(orgId)).toMatchObject({ ok: true, length: 7 });
  });

  it("editing one row's content is caught at that seq", async () => {
    const id = await newOrgWithEvents(6);
    await tamper(
      `UPDATE audit_events SET data = jsonb_set(data, '{text}', '"event X"') WHERE org_id = $1 AND seq = 4`,
      [id],
    );
    expect(await verifyChain(id)).toMatchObject({ ok: false, firstBadSeq: 4 });
  });

  it("editing the actor or time of a row is caught at that seq", async () => {
    const id = await newOrgWithEvents(4);
    await tamper(`UPDATE audit_events SET occurred_at = occurred_at + interval '1 ms' WHERE org_id = $1 AND seq = 3`, [
      id,
    ]);
    expect(await verifyChain(id)).toMatchObject({ ok: false, firstBadSeq: 3 });
  });

  it("deleting a row is caught at that seq", async () => {
    const id = await newOrgWithEvents(6);
    await tamper(`DELETE FROM audit_events WHERE org_id = $1 AND seq = 5`, [id]);
    expect(await verifyChain(id)).toMatchObject({ ok: false, firstBadSeq: 5 });
  });

  it("reordering two rows is caught at the first of them", async () => {
    const id = await newOrgWithEvents(6);
    await tamper(
      [
        `UPDATE audit_events SET seq = 999999 WHERE org_id = $1 AND seq = 3`,
        `UPDATE audit_events SET seq = 3 WHERE org_id = $1 AND seq = 6`,
        `UPDATE audit_events SET seq = 6 WHERE org_id = $1 AND seq = 999999`,
      ],
      [id],
    );
    expect(await verifyChain(id)).toMatchObject({ ok: false, firstBadSeq: 3 });
  });

  it("truncating the tail is caught at the first missing seq", async () => {
    const id = await newOrgWithEvents(6);
    await tamper(`DELETE FROM audit_events WHERE org_id = $1 AND seq >= 6`, [id]);
    expect(await verifyChain(id)).toMatchObject({ ok: false, firstBadSeq: 6 });
  });

  it("a row rewritten with a recomputed hash breaks the next link", async () => {
    const id = await newOrgWithEvents(6);
    await tamper(`UPDATE audit_events SET hash = repeat('a', 64) WHERE org_id = $1 AND seq = 4`, [id]);
    const r = await verifyChain(id);
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.firstBadSeq).toBe(4);
  });
});

describe("append-only for the app role", () => {
  let c: pg.Client;
  beforeAll(async () => {
    c = await appClient();
  });
  afterAll(async () => c.end());

  it.each([
    ["UPDATE", "UPDATE audit_events SET action = 'x.y' WHERE org_id = $1"],
    ["DELETE", "DELETE FROM audit_events WHERE org_id = $1"],
    ["TRUNCATE", "TRUNCATE audit_events"],
  ])("%s is refused even inside the organization's own tenant context", async (_verb, sql) => {
    const orgId = await newOrgWithEvents(1);
    await c.query("BEGIN");
    await c.query(`SELECT set_config('app.org_id', $1, true)`, [orgId]);
    await expect(c.query(sql, sql.includes("$1") ? [orgId] : [])).rejects.toMatchObject({ code: "42501" });
    await c.query("ROLLBACK");
    expect(await verifyChain(orgId)).toMatchObject({ ok: true, length: 2 });
  });

  it("the trigger refuses changes even from the owner", async () => {
    const orgId = await newOrgWithEvents(1);
    await expect(
      owner().query(`UPDATE audit_events SET action = 'x.y' WHERE org_id = $1`, [orgId]),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(owner().query(`DELETE FROM audit_events WHERE org_id = $1`, [orgId])).rejects.toMatchObject({
      code: "42501",
    });
  });
});
