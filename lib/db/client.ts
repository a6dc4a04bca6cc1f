import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";
import { env } from "../env";
import { closeInfrastructurePool } from "./pool";
import { closePipelinePool } from "./sql";
import { connectionOptions } from "./session-limits";

/**
 * One pg pool per process, shared by Prisma (through the adapter) and by the
 * few raw-SQL users (rate limiter). The pool connects as warden_app, which has
 * no BYPASSRLS: outside a tenant transaction every tenant table reads as empty.
 *
 * Do not import this module outside lib/db: tenant data is reached through
 * withTenant() (lib/db/tenant.ts); ESLint enforces it.
 */
type Db = { pool: pg.Pool; prisma: PrismaClient };

const globalForDb = globalThis as unknown as { __wardenDb?: Db };

export function db(): Db {
  if (globalForDb.__wardenDb) return globalForDb.__wardenDb;
  const e = env();
  const pool = new pg.Pool({
    connectionString: e.APP_DATABASE_URL,
    max: e.DB_POOL_MAX,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    application_name: "warden",
    ...connectionOptions("tenant"),
  });
  // A broken idle connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  globalForDb.__wardenDb = { pool, prisma };
  return globalForDb.__wardenDb;
}

/** For tests and scripts that need a clean shutdown. */
export async function closeDb(): Promise<void> {
  await closeInfrastructurePool();
  await closePipelinePool();
  const current = globalForDb.__wardenDb;
  if (!current) return;
  globalForDb.__wardenDb = undefined;
  await current.prisma.$disconnect();
  await current.pool.end();
}
