import { db } from "./client";
import type { Prisma } from "./generated/client";
import { AppError } from "../errors";
import { assertScope, isUuid, type TenantScope } from "./scope";
import { inBulkhead } from "./bulkhead";
import { commitScopeEntered, withCommitScope } from "./commit-batch";

/** The transaction client handed to domain code inside a tenant transaction. */
export type Tx = Prisma.TransactionClient;

type TxOptions = { timeoutMs?: number };

/**
 * Runs `fn` in one interactive transaction that first becomes warden_app and
 * sets the tenant (all transaction-local, so pooled connections never leak a
 * tenant to the next request). Row-level security does the rest: rows of other
 * organizations are invisible and cannot be written.
 *
 * `SET LOCAL ROLE` matters even though the pool already logs in as warden_app:
 * scripts and tests that connect as the owner get the same wall.
 */
export async function withTenant<T>(scope: TenantScope, fn: (tx: Tx) => Promise<T>, opts: TxOptions = {}): Promise<T> {
  assertScope(scope);
  return runScoped(scope.orgId, scope.userId ?? "", fn, opts);
}

/**
 * A transaction scoped to one user and no organization: the user's own rows
 * (their identity, their sessions) are visible; no tenant data is.
 */
export async function withUser<T>(userId: string, fn: (tx: Tx) => Promise<T>, opts: TxOptions = {}): Promise<T> {
  if (!isUuid(userId)) throw new AppError("internal", "Invalid user scope");
  return runScoped("", userId, fn, opts);
}

/**
 * A transaction as the app role with neither organization nor user: only
 * rows that policy leaves open to the anonymous (a usernameless passkey
 * sign-in's challenge) are visible.
 */
export async function withAnonymous<T>(fn: (tx: Tx) => Promise<T>, opts: TxOptions = {}): Promise<T> {
  return runScoped("", "", fn, opts);
}

async function runScoped<T>(orgId: string, userId: string, fn: (tx: Tx) => Promise<T>, opts: TxOptions): Promise<T> {
  return inBulkhead("tenant", orgId, () => transaction(orgId, userId, fn, opts));
}

async function transaction<T>(orgId: string, userId: string, fn: (tx: Tx) => Promise<T>, opts: TxOptions): Promise<T> {
  return withCommitScope(orgId, (bind) =>
    db().prisma.$transaction(
      async (tx) => {
        bind(tx);
        await tx.$executeRaw`SELECT set_config('role', 'warden_app', true),
                                  set_config('app.org_id', ${orgId}, true),
                                  set_config('app.user_id', ${userId}, true)`;
        // A long job (export, sweep, backtest) gets statement and idle limits as
        // long as its own budget, for this transaction only (lib/db/session-limits.ts).
        if (opts.timeoutMs) {
          const ms = String(opts.timeoutMs);
          await tx.$executeRaw`SELECT set_config('statement_timeout', ${ms}, true),
                                    set_config('idle_in_transaction_session_timeout', ${ms}, true)`;
        }
        return fn(tx);
      },
      { maxWait: 5_000, timeout: opts.timeoutMs ?? 15_000 },
    ),
  );
}

/**
 * Moves an open transaction to another organization. Only for fan-out of one
 * user's own event to each organization they belong to (sign-in, sign-out),
 * where the event must commit atomically with the session change. Everything
 * else uses one withTenant() per request.
 */
export async function enterTenant(tx: Tx, orgId: string): Promise<void> {
  if (!isUuid(orgId)) throw new AppError("internal", "Invalid tenant scope");
  await tx.$executeRaw`SELECT set_config('app.org_id', ${orgId}, true)`;
  commitScopeEntered(tx, orgId);
}
