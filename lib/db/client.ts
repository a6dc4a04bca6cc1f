import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";
import { env } from "../env";
import { connectionOptions } from "./session-limits";
import { withCommitBatches } from "./commit-batch";

/**
 * Every connection the process opens to the database starts here: the three
 * pools and closeDb(). All of them log in as warden_app, which has no
 * BYPASSRLS: outside a tenant transaction every tenant table reads as empty.
 *
 *   db()                   Prisma (through adapter-pg) on the main pool; also
 *                          the pool for the lookups and the scheduler
 *   pipelinePool()         pipeline mode, for withTenantSql() (lib/db/sql.ts)
 *   infrastructurePool()   asynchronous commit, for tables with no tenant data
 *                          (rate-limit counters)
 *
 * Only db() and pipelinePool() are restricted to lib/db (ESLint): tenant data
 * is reached through withTenant()/withTenantSql().
 */
type Db = { pool: pg.Pool; prisma: PrismaClient };

const globalForDb = globalThis as unknown as {
  __wardenDb?: Db;
  __wardenPipelinePool?: pg.Pool;
  __wardenInfraPool?: pg.Pool;
};

function newPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool({
    connectionString: env().APP_DATABASE_URL,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    ...config,
  });
  // A broken idle connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  return pool;
}

export function db(): Db {
  if (!globalForDb.__wardenDb) {
    // Pipeline mode lets a transaction send its last statements and COMMIT
    // together (lib/db/commit-batch.ts); Prisma otherwise awaits each query.
    const pool = newPool({
      max: env().DB_POOL_MAX,
      application_name: "warden",
      pipeline: true,
      ...connectionOptions("tenant"),
    } as pg.PoolConfig);
    const adapter = withCommitBatches(new PrismaPg(pool));
    globalForDb.__wardenDb = { pool, prisma: new PrismaClient({ adapter }) };
  }
  return globalForDb.__wardenDb;
}

/** The hot path's pool: pg ≥ 8.21 sends queries issued without awaiting back to back. */
export function pipelinePool(): pg.Pool {
  globalForDb.__wardenPipelinePool ??= newPool({
    max: env().DB_POOL_MAX,
    application_name: "warden-hot",
    pipeline: true,
    ...connectionOptions("hot"),
  } as pg.PoolConfig);
  return globalForDb.__wardenPipelinePool;
}

/**
 * A small pool for infrastructure tables that hold no tenant data (rate-limit
 * counters), with asynchronous commit: a counter increment does not wait for
 * the WAL flush. Losing the last few increments in a database crash is
 * harmless for rate limiting, and it takes a disk flush off every API request.
 * Tenant data never goes through here.
 */
export function infrastructurePool(): pg.Pool {
  globalForDb.__wardenInfraPool ??= newPool({
    max: Math.max(2, Math.ceil(env().DB_POOL_MAX / 2)),
    application_name: "warden-infra",
    ...connectionOptions("infra", { synchronous_commit: "off" }),
  });
  return globalForDb.__wardenInfraPool;
}

/** Closes every pool (tests, scripts, benches); the next call opens them again. */
export async function closeDb(): Promise<void> {
  const { __wardenDb: main, __wardenPipelinePool: pipeline, __wardenInfraPool: infra } = globalForDb;
  globalForDb.__wardenDb = globalForDb.__wardenPipelinePool = globalForDb.__wardenInfraPool = undefined;
  await infra?.end();
  await pipeline?.end();
  if (main) {
    await main.prisma.$disconnect();
    await main.pool.end();
  }
}
