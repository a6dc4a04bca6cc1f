import { env } from "../env";
import { AppError } from "../errors";

/**
 * Bulkheads: how many pooled connections one organization may hold at once in
 * each pool. An organization whose requests wait on a lock (its audit head
 * held by a frozen process, a hot row) then ties up at most its share of the
 * pool, and the other organizations keep theirs and their latency.
 *
 * A request over the share waits here, holding no connection, up to half the
 * lock timeout; then (or at once, when too many already wait) it gets 503 with
 * Retry-After, like a request that gave up on the lock itself.
 */
export type BulkheadName = "tenant" | "hot";

type Compartment = { active: number; waiters: { grant: () => void }[]; progressAt: number };

export type BulkheadStats = { limit: number; organizations: number; saturated: number; waiting: number };

const globalForBulkheads = globalThis as unknown as { __wardenBulkheads?: Map<BulkheadName, Map<string, Compartment>> };

function compartments(name: BulkheadName): Map<string, Compartment> {
  globalForBulkheads.__wardenBulkheads ??= new Map();
  let m = globalForBulkheads.__wardenBulkheads.get(name);
  if (!m) {
    m = new Map();
    globalForBulkheads.__wardenBulkheads.set(name, m);
  }
  return m;
}

export function bulkheadLimit(): number {
  const e = env();
  return Math.min(e.DB_POOL_MAX, e.DB_POOL_MAX_PER_ORG ?? Math.max(1, Math.ceil(e.DB_POOL_MAX / 2)));
}

const queueLimit = () => Math.max(100, 16 * bulkheadLimit());

/**
 * How long a waiting request tolerates its organization's slots making no
 * progress (none released): half the lock timeout. Healthy slots turn over in
 * milliseconds, so a burst waits as long as its transactions keep finishing
 * (up to the statement timeout), while a stuck organization's waiters give up
 * fast. A request may cross two compartments (the typed and the hot pool) and
 * then a lock wait, so its 503 comes within about twice the lock timeout.
 */
const bulkheadWaitMs = () => Math.max(50, Math.floor(env().DB_LOCK_TIMEOUT_MS / 2));

function busy(): AppError {
  return new AppError(
    "unavailable",
    "This organization has too many requests waiting on the database. Try again shortly.",
    {
      headers: { "retry-after": "2" },
    },
  );
}

/** Takes one of the organization's slots in the pool (waiting if needed); returns its release. */
export async function enterBulkhead(name: BulkheadName, orgId: string): Promise<() => void> {
  const all = compartments(name);
  let c = all.get(orgId);
  if (!c) {
    c = { active: 0, waiters: [], progressAt: Date.now() };
    all.set(orgId, c);
  }
  const compartment = c;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    compartment.progressAt = Date.now();
    const next = compartment.waiters.shift();
    if (next)
      next.grant(); // the slot passes straight to the next waiter
    else {
      compartment.active -= 1;
      if (compartment.active === 0) all.delete(orgId);
    }
  };
  if (compartment.active < bulkheadLimit()) {
    compartment.active += 1;
    return release;
  }
  if (compartment.waiters.length >= queueLimit()) throw busy();
  const since = Date.now();
  await new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout>;
    const waiter = {
      grant: () => {
        clearTimeout(timer);
        resolve();
      },
    };
    const check = () => {
      const now = Date.now();
      const stalled = now - Math.max(compartment.progressAt, since);
      if (stalled < bulkheadWaitMs() && now - since < env().DB_STATEMENT_TIMEOUT_MS) {
        timer = setTimeout(check, bulkheadWaitMs() - stalled);
        return;
      }
      const i = compartment.waiters.indexOf(waiter);
      if (i >= 0) compartment.waiters.splice(i, 1);
      reject(busy());
    };
    timer = setTimeout(check, bulkheadWaitMs());
    compartment.waiters.push(waiter);
  });
  return release;
}

/** Runs `fn` inside the organization's compartment of the named pool. */
export async function inBulkhead<T>(name: BulkheadName, orgId: string, fn: () => Promise<T>): Promise<T> {
  if (!orgId) return fn(); // a user-only transaction (no organization): not one tenant's
  const release = await enterBulkhead(name, orgId);
  try {
    return await fn();
  } finally {
    release();
  }
}

/**
 * For readiness: counts only (it is served without authentication, so no
 * organization ids): organizations holding connections, how many are at their
 * share, and how many requests wait for a slot.
 */
export function bulkheadStats(name: BulkheadName): BulkheadStats {
  const limit = bulkheadLimit();
  const all = [...compartments(name).values()];
  return {
    limit,
    organizations: all.length,
    saturated: all.filter((c) => c.active >= limit).length,
    waiting: all.reduce((n, c) => n + c.waiters.length, 0),
  };
}
