import pg from "pg";
import { env } from "../env";
import { connectionOptions } from "./session-limits";

/**
 * A separate small pool for infrastructure tables that hold no tenant data
 * (rate-limit counters), connected as warden_app with asynchronous commit:
 * a counter increment does not wait for the WAL flush. Losing the last few
 * increments in a database crash is harmless for rate limiting, and it takes
 * a disk flush off every API request. Tenant data never goes through here.
 */
const globalForPool = globalThis as unknown as { __wardenInfraPool?: pg.Pool };

export function infrastructurePool(): pg.Pool {
  if (!globalForPool.__wardenInfraPool) {
    const pool = new pg.Pool({
      connectionString: env().APP_DATABASE_URL,
      max: Math.max(2, Math.ceil(env().DB_POOL_MAX / 2)),
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
      application_name: "warden-infra",
      ...connectionOptions("infra", { synchronous_commit: "off" }),
    });
    pool.on("error", () => {});
    globalForPool.__wardenInfraPool = pool;
  }
  return globalForPool.__wardenInfraPool;
}

export async function closeInfrastructurePool(): Promise<void> {
  const p = globalForPool.__wardenInfraPool;
  globalForPool.__wardenInfraPool = undefined;
  await p?.end();
}
