import { afterAll, beforeAll, describe, expect, it } from "vitest";

// One connection: every transaction below reuses it, so a leak would show.
process.env.DB_POOL_MAX = "1";

import { closeDb } from "@/lib/db/client";
import { withTenantSql } from "@/lib/db/sql";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";

let a: TestOrg;
let b: TestOrg;
beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("pipe-a"), createTestOrg("pipe-b")]);
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const insertAgent = (orgId: string, slug: string) => ({
  text: "INSERT INTO agents (org_id, slug, name, environment) VALUES ($1, $2, 'x', 'production') RETURNING slug",
  values: [orgId, slug],
});
const count = async (slug: string) =>
  (await owner().query("SELECT count(*)::int n FROM agents WHERE slug = $1", [slug])).rows[0].n as number;

describe("pipelined tenant transactions", () => {
  it("finish() commits the batch and returns each statement's rows", async () => {
    const rows = await withTenantSql({ orgId: a.org.id }, (sql) =>
      sql.finish([insertAgent(a.org.id, "pipe-one"), { text: "SELECT current_setting('app.org_id') AS org" }]),
    );
    expect(rows[0]).toEqual([{ slug: "pipe-one" }]);
    expect(rows[1]).toEqual([{ org: a.org.id }]);
    expect(await count("pipe-one")).toBe(1);
  });

  it("a failing statement rolls the whole batch back, and the error surfaces", async () => {
    await expect(
      withTenantSql({ orgId: a.org.id }, (sql) =>
        sql.finish([insertAgent(a.org.id, "pipe-two"), insertAgent(a.org.id, "Not A Valid Slug")]),
      ),
    ).rejects.toMatchObject({ code: "23514" });
    expect(await count("pipe-two")).toBe(0);
  });

  it("the wall holds: a row for another organization is refused, nothing is written", async () => {
    await expect(
      withTenantSql({ orgId: a.org.id }, (sql) =>
        sql.finish([insertAgent(a.org.id, "pipe-three"), insertAgent(b.org.id, "pipe-four")]),
      ),
    ).rejects.toMatchObject({
      code: "42501",
    });
    expect(await count("pipe-three")).toBe(0);
    expect(await count("pipe-four")).toBe(0);
  });

  it("after failures the connection carries no tenant into the next transaction", async () => {
    const seen = await withTenantSql({ orgId: b.org.id }, (sql) =>
      sql.query<{ org_id: string }>("SELECT DISTINCT org_id FROM memberships"),
    );
    expect(seen).toEqual([{ org_id: b.org.id }]);
  });

  it("queries before finish() run in the same transaction", async () => {
    const res = await withTenantSql({ orgId: a.org.id }, async (sql) => {
      await sql.query(
        "INSERT INTO agents (org_id, slug, name, environment) VALUES ($1, 'pipe-five', 'x', 'production')",
        [a.org.id],
      );
      const inTx = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM agents WHERE slug = 'pipe-five'");
      const [, after] = await sql.finish([
        { text: "SELECT 1" },
        { text: "SELECT count(*)::int AS n FROM agents WHERE slug = 'pipe-five'" },
      ]);
      return { inTx: inTx[0]!.n, after: after };
    });
    expect(res.inTx).toBe(1);
    expect(await count("pipe-five")).toBe(1);
  });

  it("an exception in the callback rolls back what it wrote", async () => {
    await expect(
      withTenantSql({ orgId: a.org.id }, async (sql) => {
        await sql.query(
          "INSERT INTO agents (org_id, slug, name, environment) VALUES ($1, 'pipe-six', 'x', 'production')",
          [a.org.id],
        );
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await count("pipe-six")).toBe(0);
  });
});
