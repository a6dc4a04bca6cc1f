import { AsyncLocalStorage } from "node:async_hooks";
import type pg from "pg";
import type { PrismaPg } from "@prisma/adapter-pg";
import { inOneWrite } from "./one-write";
import { metrics, secondsSince } from "../metrics";

/**
 * Statements a transaction sends together with its COMMIT, in one round trip.
 *
 * Why: the audit append locks the organization's chain head (FOR UPDATE). If
 * the append is answered and COMMIT follows in a later round trip, a process
 * that freezes in between (VM pause, SIGSTOP, partition) keeps the head locked
 * and every writer of that organization queues behind it. Sent with COMMIT,
 * the server takes the lock, commits and releases it without waiting for the
 * client again: a frozen client can no longer hold it.
 *
 * withTenantSql (lib/db/sql.ts) collects them on its `Sql`; withTenant's
 * Prisma transactions collect them here: runScoped() opens a scope per
 * transaction, and the adapter wrapper below sends the scope's statements
 * pipelined ahead of the COMMIT that Prisma issues.
 */
export type CommitStatement = {
  text: string;
  values: unknown[];
  /** Prepared once per connection under this name. */
  name?: string;
  /** The tenant the statement must run as (a transaction that moved with enterTenant). */
  orgId?: string;
  /** Called with the statement's rows once the transaction has committed. */
  onCommitted?: (rows: pg.QueryResultRow[]) => void;
};

type Scope = {
  /** The Prisma transaction client this scope belongs to (identity check). */
  tx: unknown;
  /** The tenant the transaction is in right now. */
  orgId: string;
  /**
   * Every tenant the transaction has been in (withTenant's, enterTenant's): a
   * queued statement may only run as one of them, so queuing never lets code
   * write where row-level security would have refused it.
   */
  entered: Set<string>;
  /** Set once the adapter has started the transaction: only then can statements wait for COMMIT. */
  ready: boolean;
  pending: CommitStatement[];
};

const scopes = new AsyncLocalStorage<Scope>();

/** Runs `fn` (which starts one Prisma transaction) with a scope for its commit batch. */
export function withCommitScope<T>(orgId: string, fn: (bind: (tx: unknown) => void) => Promise<T>): Promise<T> {
  const scope: Scope = { tx: undefined, orgId, entered: new Set([orgId]), ready: false, pending: [] };
  return scopes.run(scope, () =>
    fn((tx) => {
      scope.tx = tx;
    }),
  );
}

/** Records that the transaction moved to another organization (enterTenant). */
export function commitScopeEntered(tx: unknown, orgId: string): void {
  const scope = scopes.getStore();
  if (scope && scope.tx === tx) {
    scope.orgId = orgId;
    scope.entered.add(orgId);
  }
}

/**
 * Queues a statement for the Prisma transaction `tx`'s COMMIT. False when `tx`
 * is not the current withTenant transaction (a caller's own client, a test),
 * or the statement names a tenant the transaction never entered: the caller
 * then runs it at once, where row-level security judges it as before.
 */
export function sendWithCommit(tx: unknown, stmt: CommitStatement): boolean {
  const scope = scopes.getStore();
  if (!scope || scope.tx !== tx || !scope.ready) return false;
  const orgId = stmt.orgId ?? scope.orgId;
  if (!scope.entered.has(orgId)) return false;
  scope.pending.push({ ...stmt, orgId });
  return true;
}

type PgTx = Awaited<ReturnType<Awaited<ReturnType<PrismaPg["connect"]>>["startTransaction"]>>;

/**
 * Pipelines the pending statements and COMMIT on the transaction's connection
 * (the pool is in pipeline mode) and waits once. If a statement fails, the
 * server refuses the rest and COMMIT answers ROLLBACK: nothing is half-written.
 */
async function commitWithBatch(tx: PgTx, scope: Scope): Promise<number> {
  const batch = scope.pending.splice(0);
  const client = (tx as unknown as { client?: pg.PoolClient }).client;
  if (!client || typeof client.query !== "function") throw new Error("commit batch: no pg client on the transaction");
  const sent: Promise<pg.QueryResult>[] = [];
  const owners: (CommitStatement | null)[] = [];
  let current = scope.orgId;
  // One write: the statements never reach the server without their COMMIT.
  inOneWrite(client, () => {
    for (const s of batch) {
      if (s.orgId && s.orgId !== current) {
        sent.push(client.query({ text: "SELECT set_config('app.org_id', $1, true)", values: [s.orgId] }));
        owners.push(null);
        current = s.orgId;
      }
      sent.push(
        client.query(s.name ? { name: s.name, text: s.text, values: s.values } : { text: s.text, values: s.values }),
      );
      owners.push(s);
    }
    sent.push(client.query("COMMIT"));
  });
  const started = performance.now();
  const settled = await Promise.allSettled(sent);
  metrics().auditAppendDuration.observe(secondsSince(started));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  const tag = (settled.at(-1) as PromiseFulfilledResult<pg.QueryResult>).value.command;
  if (tag !== "COMMIT") throw new Error("The transaction was rolled back at COMMIT");
  owners.forEach((s, i) => s?.onCommitted?.((settled[i] as PromiseFulfilledResult<pg.QueryResult>).value.rows));
  return 0;
}

function wrapTransaction(tx: PgTx, scope: Scope): PgTx {
  scope.ready = true;
  return new Proxy(tx, {
    get(target, prop) {
      if (prop === "executeRaw") {
        return (query: { sql: string }) =>
          query.sql === "COMMIT" && scope.pending.length > 0
            ? commitWithBatch(target, scope)
            : target.executeRaw(query as Parameters<PgTx["executeRaw"]>[0]);
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

type PgAdapter = Awaited<ReturnType<PrismaPg["connect"]>>;

function wrapAdapter(adapter: PgAdapter): PgAdapter {
  return new Proxy(adapter, {
    get(target, prop) {
      if (prop === "startTransaction") {
        return async (isolationLevel?: Parameters<PgAdapter["startTransaction"]>[0]) => {
          const scope = scopes.getStore();
          const tx = await target.startTransaction(isolationLevel);
          return scope && !scope.ready ? wrapTransaction(tx, scope) : tx;
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The adapter factory with commit batches (see above); everything else passes through. */
export function withCommitBatches(factory: PrismaPg): PrismaPg {
  return new Proxy(factory, {
    get(target, prop) {
      if (prop === "connect") return async () => wrapAdapter(await target.connect());
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
