import { afterAll, beforeAll, describe, expect, it } from "vitest";

// This file's process gets a pool of exactly one connection: every tenant
// transaction below runs on the same physical connection, one after another.
process.env.DB_POOL_MAX = "1";

import { closeDb, db } from "@/lib/db/client";
import { withTenant } from "@/lib/db/tenant";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";

let a: TestOrg;
let b: TestOrg;

beforeAll(async () => {
  a = await createTestOrg("pool-a");
  b = await createTestOrg("pool-b");
});
afterAll(closeDb);

async function visibleOrgIds(orgId: string): Promise<string[]> {
  return withTenant({ orgId }, async (tx) => {
    const members = await tx.membership.findMany({ select: { orgId: true } });
    // Yield inside the transaction so the other request's turn interleaves.
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    const events = await tx.auditEvent.findMany({ select: { orgId: true } });
    return [...new Set([...members, ...events].map((r) => r.orgId))];
  });
}

describe("a pool of one connection", () => {
  it("really has one connection", async () => {
    expect(db().pool.options.max).toBe(1);
  });

  it("interleaved requests for A and B never see each other's rows", async () => {
    const jobs = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b));
    const results = await Promise.all(
      jobs.map((t) => visibleOrgIds(t.org.id).then((ids) => ({ want: t.org.id, ids }))),
    );
    for (const r of results) expect(r.ids).toEqual([r.want]);
    expect(db().pool.totalCount).toBe(1);
  });

  it("a failed tenant transaction leaves no tenant behind on the connection", async () => {
    await expect(
      withTenant({ orgId: a.org.id }, async (tx) => {
        await tx.membership.findMany();
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const rows = await db().prisma.$queryRaw<{ org: string; role: string }[]>`
      SELECT current_setting('app.org_id', true) AS org, current_user AS role`;
    expect(rows[0]!.org ?? "").toBe("");
    const leaked = await db().prisma.membership.findMany();
    expect(leaked).toEqual([]);
  });
});
