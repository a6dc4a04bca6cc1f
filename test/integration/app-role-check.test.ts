import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { APP_ROLE_CHECK_SQL, appRoleProblem, checkAppRole, type AppRoleRow } from "@/lib/db/role-check";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";

afterAll(async () => {
  await closeDb();
  await closeOwner();
});

/**
 * Runs the start-up check as `role` (SET ROLE inside an owner session, so the
 * roles need no login or password) and drops the role afterwards.
 */
async function checkAs(attributes: string, grant?: string): Promise<string | null> {
  const role = `warden_rolecheck_${randomBytes(4).toString("hex")}`;
  const client = await owner().connect();
  try {
    await client.query(`CREATE ROLE ${role} NOLOGIN ${attributes}`);
    if (grant) await client.query(`GRANT ${grant} TO ${role}`);
    await client.query(`SET ROLE ${role}`);
    const { rows } = await client.query<AppRoleRow>(APP_ROLE_CHECK_SQL);
    return appRoleProblem(rows[0]);
  } finally {
    await client.query("RESET ROLE");
    await client.query(`DROP ROLE IF EXISTS ${role}`);
    client.release();
  }
}

describe("the app refuses a database role that row-level security does not confine", () => {
  it("warden_app (the app's own connection) passes", async () => {
    expect(await checkAppRole()).toBeNull();
  });

  it("a superuser is refused, by name, with what to do", async () => {
    const { rows } = await owner().query<AppRoleRow>(APP_ROLE_CHECK_SQL);
    const problem = appRoleProblem(rows[0]);
    expect(problem).toMatch(/is a superuser/);
    expect(problem).toMatch(/row-level security/);
    expect(problem).toMatch(/warden_app/);
  });

  it("a role with BYPASSRLS is refused", async () => {
    expect(await checkAs("NOSUPERUSER BYPASSRLS")).toMatch(/has BYPASSRLS/);
  });

  it("a role that can SET ROLE to a BYPASSRLS role is refused", async () => {
    const target = `warden_rolecheck_t_${randomBytes(4).toString("hex")}`;
    await owner().query(`CREATE ROLE ${target} NOLOGIN BYPASSRLS`);
    try {
      expect(await checkAs("NOSUPERUSER NOBYPASSRLS", target)).toMatch(new RegExp(`can SET ROLE to ${target}`));
    } finally {
      await owner().query(`DROP ROLE IF EXISTS ${target}`);
    }
  });

  it("a plain role passes", async () => {
    expect(await checkAs("NOSUPERUSER NOBYPASSRLS")).toBeNull();
  });
});
