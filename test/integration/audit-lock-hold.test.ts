import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAuditEvent } from "@/lib/audit/append-event";
import { closeDb } from "@/lib/db/client";
import { withTenantSql } from "@/lib/db/sql";
import { enterTenant, withTenant, withUser } from "@/lib/db/tenant";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import type { AuditEventName } from "@/lib/audit/event-names";

/**
 * Issue 20, item 1: the organization's audit-chain head is locked only in a
 * transaction's last round trip. The append is sent together with COMMIT, so
 * while the transaction is still talking to the app (and could be frozen
 * there), the head is free; the events still commit atomically with the
 * change, and a failed append rolls the change back.
 */
let a: TestOrg;
let b: TestOrg;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("lock-a"), createTestOrg("lock-b")]);
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const headSeq = async (orgId: string) =>
  Number((await owner().query(`SELECT seq FROM audit_heads WHERE org_id = $1`, [orgId])).rows[0].seq);

/** True when another connection can lock the head right now (NOWAIT). */
async function headIsFree(orgId: string): Promise<boolean> {
  const c = await owner().connect();
  try {
    await c.query("BEGIN");
    await c.query("SELECT 1 FROM audit_heads WHERE org_id = $1 FOR UPDATE NOWAIT", [orgId]);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === "55P03") return false;
    throw e;
  } finally {
    await c.query("ROLLBACK");
    c.release();
  }
}

const event = (orgId: string, action: string = "test.lock_hold") => ({
  orgId,
  actor: { type: "system" as const, id: null },
  action: action as AuditEventName, // a synthetic name
  data: { n: 1 },
});

describe("the audit head is locked only with COMMIT", () => {
  it("withTenant (Prisma): after appendAuditEvent the head is still free; the event commits with the transaction", async () => {
    const before = await headSeq(a.org.id);
    const free = await withTenant({ orgId: a.org.id }, async (tx) => {
      await appendAuditEvent(tx, event(a.org.id));
      await tx.$queryRawUnsafe("SELECT 1"); // more work after the append: still before the lock
      return headIsFree(a.org.id);
    });
    expect(free).toBe(true);
    expect(await headSeq(a.org.id)).toBe(before + 1);
  });

  it("withTenantSql (pipelined): the same", async () => {
    const before = await headSeq(a.org.id);
    const free = await withTenantSql({ orgId: a.org.id }, async (sql) => {
      await appendAuditEvent(sql, event(a.org.id));
      await sql.query("SELECT 1");
      return headIsFree(a.org.id);
    });
    expect(free).toBe(true);
    expect(await headSeq(a.org.id)).toBe(before + 1);
  });

  it("a transaction that fails after its append writes nothing", async () => {
    const before = await headSeq(a.org.id);
    await expect(
      withTenant({ orgId: a.org.id }, async (tx) => {
        await appendAuditEvent(tx, event(a.org.id));
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect(await headSeq(a.org.id)).toBe(before);
  });

  it("a failing append at COMMIT rolls back the change it records", async () => {
    const before = await headSeq(a.org.id);
    const name = `lock-hold-${Date.now()}`;
    await expect(
      withTenant({ orgId: a.org.id }, async (tx) => {
        await tx.$executeRawUnsafe("UPDATE organizations SET name = $1 WHERE id = $2::uuid", name, a.org.id);
        // An actor type the events table refuses: the append fails inside COMMIT's round trip.
        await appendAuditEvent(tx, { ...event(a.org.id), actor: { type: "x".repeat(300) as "system", id: null } });
      }),
    ).rejects.toThrow();
    expect(await headSeq(a.org.id)).toBe(before);
    const { rows } = await owner().query("SELECT name FROM organizations WHERE id = $1", [a.org.id]);
    expect(rows[0].name).not.toBe(name);
  });

  it("a transaction that moves between organizations appends each event under its own organization, at COMMIT", async () => {
    const [beforeA, beforeB] = [await headSeq(a.org.id), await headSeq(b.org.id)];
    const free = await withUser(a.users.admin.id, async (tx) => {
      await enterTenant(tx, a.org.id);
      await appendAuditEvent(tx, event(a.org.id, "test.fan_out"));
      await enterTenant(tx, b.org.id);
      await appendAuditEvent(tx, event(b.org.id, "test.fan_out"));
      return (await headIsFree(a.org.id)) && (await headIsFree(b.org.id));
    });
    expect(free).toBe(true);
    expect(await headSeq(a.org.id)).toBe(beforeA + 1);
    expect(await headSeq(b.org.id)).toBe(beforeB + 1);
    const { rows } = await owner().query(
      "SELECT org_id FROM audit_events WHERE action = 'test.fan_out' ORDER BY org_id",
    );
    expect(rows.map((r) => r.org_id).sort()).toEqual([a.org.id, b.org.id].sort());
  });

  it("queuing never crosses the wall: an event for an organization the transaction is not in is refused, as before", async () => {
    const beforeB = await headSeq(b.org.id);
    await expect(
      withTenant({ orgId: a.org.id }, async (tx) => {
        await appendAuditEvent(tx, event(b.org.id, "test.cross_tenant"));
      }),
    ).rejects.toThrow();
    expect(await headSeq(b.org.id)).toBe(beforeB);
  });
});

describe("the append and its COMMIT leave in one write", () => {
  /**
   * Records what each socket write carries while `fn` runs. A process stopped
   * between two writes would leave the server with the append run (the head
   * locked) and no COMMIT; in one write, the kernel sends both even then.
   */
  async function writes(fn: () => Promise<unknown>): Promise<string[]> {
    const seen: string[] = [];
    const proto = net.Socket.prototype as unknown as {
      _write: (chunk: Buffer, enc: string, cb: () => void) => void;
      _writev: (chunks: { chunk: Buffer }[], cb: () => void) => void;
    };
    const write = proto._write;
    const writev = proto._writev;
    proto._write = function (chunk, enc, cb) {
      seen.push(Buffer.from(chunk).toString("latin1"));
      return write.call(this, chunk, enc, cb);
    };
    proto._writev = function (chunks, cb) {
      seen.push(chunks.map((c) => Buffer.from(c.chunk).toString("latin1")).join(""));
      return writev.call(this, chunks, cb);
    };
    try {
      await fn();
    } finally {
      proto._write = write;
      proto._writev = writev;
    }
    return seen;
  }
  const appendAndCommit = (seen: string[]) =>
    seen.filter((w) => w.includes("audit_append_1") && w.includes("COMMIT")).length;
  const appendAlone = (seen: string[]) =>
    seen.filter((w) => w.includes("audit_append_1") && !w.includes("COMMIT")).length;

  it("withTenant (Prisma)", async () => {
    const seen = await writes(() =>
      withTenant({ orgId: a.org.id }, async (tx) => {
        await appendAuditEvent(tx, event(a.org.id));
      }),
    );
    expect(appendAlone(seen)).toBe(0);
    expect(appendAndCommit(seen)).toBe(1);
  });

  it("withTenantSql (pipelined)", async () => {
    const seen = await writes(() =>
      withTenantSql({ orgId: a.org.id }, async (sql) => {
        await appendAuditEvent(sql, event(a.org.id));
      }),
    );
    expect(appendAlone(seen)).toBe(0);
    expect(appendAndCommit(seen)).toBe(1);
  });
});
