import type pg from "pg";
import { db } from "./client";
import { isUuid, type TenantScope } from "./tenant";
import { AppError } from "../errors";

/**
 * The tenant transaction for the hot path, on the raw pg pool. Same wall as
 * withTenant() (SET LOCAL ROLE warden_app + app.org_id/app.user_id, all
 * transaction-local), but without the ORM's per-statement cost: BEGIN and the
 * tenant settings go in one round trip, and statements are named (prepared).
 * Use it where every round trip counts (action submission, approvals);
 * elsewhere withTenant() and the typed client are the default.
 */
export type Sql = {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], name?: string): Promise<R[]>;
};

export async function withTenantSql<T>(scope: TenantScope, fn: (sql: Sql) => Promise<T>): Promise<T> {
  if (!isUuid(scope.orgId)) throw new AppError("internal", "Invalid tenant scope");
  if (scope.userId != null && !isUuid(scope.userId)) throw new AppError("internal", "Invalid user scope");
  const client = await db().pool.connect();
  let broken = false;
  try {
    // Both values are validated UUIDs: safe to inline, which lets BEGIN and the
    // settings share one simple-protocol round trip.
    await client.query(
      `BEGIN; SELECT set_config('role', 'warden_app', true), set_config('app.org_id', '${scope.orgId}', true), set_config('app.user_id', '${scope.userId ?? ""}', true)`,
    );
    const sql: Sql = {
      async query(text, values = [], name) {
        const r = await client.query(name ? { name, text, values } : { text, values });
        return r.rows;
      },
    };
    const result = await fn(sql);
    await client.query("COMMIT");
    return result;
  } catch (e) {
    try {
      await client.query("ROLLBACK");
    } catch {
      broken = true;
    }
    throw e;
  } finally {
    client.release(broken ? true : undefined);
  }
}
