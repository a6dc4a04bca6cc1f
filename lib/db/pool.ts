import type pg from "pg";
import { db } from "./client";

/**
 * The raw pool, for infrastructure tables that hold no tenant data (rate-limit
 * counters). Never use it for tenant tables: they are reached through
 * withTenant(), and as warden_app this pool sees none of their rows anyway.
 */
export function infrastructurePool(): pg.Pool {
  return db().pool;
}
