import type pg from "pg";
import { AppError } from "../errors";
import { pipelinePool } from "./client";
import { inBulkhead } from "./bulkhead";
import type { CommitStatement } from "./commit-batch";
import { inOneWrite } from "./one-write";
import { assertScope, type TenantScope } from "./scope";
import type { Tx } from "./tenant";

/**
 * The tenant transaction for the hot path, on a raw pg pool in pipeline mode.
 * Same wall as withTenant() (SET LOCAL ROLE warden_app + app.org_id /
 * app.user_id, all transaction-local), without the ORM's per-statement cost,
 * and with fewer round trips:
 *
 *   - BEGIN and the tenant settings are sent without waiting, ahead of the
 *     first statement;
 *   - `finish(statements)` sends the last statements and COMMIT together and
 *     waits once. A transaction that ends with finish() costs one round trip
 *     plus the commit's WAL flush.
 *
 * Pipelining keeps transaction semantics: once a statement fails, the server
 * refuses the rest of the transaction and COMMIT becomes ROLLBACK, so nothing
 * is half-written. Statements are named (prepared once per connection).
 */
export type Statement = { text: string; values?: unknown[]; name?: string };

/**
 * Raw SQL inside a tenant transaction of either kind: positional parameters
 * ($1, $2, …), rows back. `name` prepares the statement once per connection on
 * the pipelined path and is ignored on Prisma's. Code that writes SQL and may
 * run in either kind of transaction takes a RawSql (see rawSql()). Prisma reads
 * fewer column types than pg (not `void`, e.g. pg_notify's): select what both read.
 */
export type RawSql = {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], name?: string): Promise<R[]>;
};

export type Sql = RawSql & {
  /** Sends the statements and COMMIT in one round trip; the transaction is over when it resolves. */
  finish(statements: Statement[]): Promise<pg.QueryResultRow[][]>;
  /**
   * Queues a statement to go out with COMMIT (after finish()'s own
   * statements), in the same round trip: for the audit append, whose lock must
   * not outlive the transaction's last message (lib/db/commit-batch.ts).
   */
  atCommit(statement: CommitStatement): void;
};

/** A tenant transaction of either kind: withTenant's (Prisma) or withTenantSql's (pipelined). */
export type AnyTx = Tx | RawSql;

/** The raw-SQL face of a transaction: withTenantSql's as it is, withTenant's through $queryRawUnsafe. */
export function rawSql(tx: AnyTx): RawSql {
  if (typeof (tx as Partial<RawSql>).query === "function") return tx as RawSql;
  const prisma = tx as Tx;
  return { query: (text, values = []) => prisma.$queryRawUnsafe(text, ...values) };
}

const run = (client: pg.PoolClient, s: Statement) =>
  client.query(
    s.name ? { name: s.name, text: s.text, values: s.values ?? [] } : { text: s.text, values: s.values ?? [] },
  );

export async function withTenantSql<T>(scope: TenantScope, fn: (sql: Sql) => Promise<T>): Promise<T> {
  assertScope(scope);
  return inBulkhead("hot", scope.orgId, () => pipelinedTenantTransaction(scope, fn));
}

async function pipelinedTenantTransaction<T>(scope: TenantScope, fn: (sql: Sql) => Promise<T>): Promise<T> {
  const client = await pipelinePool().connect();
  let finished = false;
  let broken = false;
  // A checked-out client has no listener of the pool's: without this, a
  // connection lost mid-transaction (server restart, pg_terminate_backend)
  // would be an uncaught 'error' event. The pending queries reject on their own.
  const onError = () => {
    broken = true;
  };
  client.on("error", onError);
  const atCommit: CommitStatement[] = [];
  // Both values are validated UUIDs: safe to inline, which lets BEGIN and the
  // settings travel as one simple-protocol message. Not awaited: the first
  // statement follows it on the wire, and an error here fails that statement.
  const begin = client.query(
    `BEGIN; SELECT set_config('role', 'warden_app', true), set_config('app.org_id', '${scope.orgId}', true), set_config('app.user_id', '${scope.userId ?? ""}', true)`,
  );
  begin.catch(() => {});
  const sql: Sql = {
    async query(text, values = [], name) {
      if (finished) throw new Error("transaction already finished");
      // Sent at once (right behind BEGIN on the first call); BEGIN's answer arrives first.
      const pending = run(client, { text, values, name });
      pending.catch(() => {});
      await begin;
      return (await pending).rows;
    },
    async finish(statements) {
      if (finished) throw new Error("transaction already finished");
      finished = true;
      const queued = atCommit.splice(0);
      // One write: the statements never reach the server without their COMMIT (lib/db/one-write.ts).
      const [sent, commit] = inOneWrite(
        client,
        () => [[...statements, ...queued].map((s) => run(client, s)), client.query("COMMIT")] as const,
      );
      const settled = await Promise.allSettled([begin, ...sent, commit]);
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
      // COMMIT of a transaction the server already aborted answers ROLLBACK, not an error.
      const tag = (settled.at(-1) as PromiseFulfilledResult<pg.QueryResult>).value.command;
      if (tag !== "COMMIT") throw new AppError("internal", "The transaction was rolled back");
      const rows = settled.slice(1, -1).map((r) => (r as PromiseFulfilledResult<pg.QueryResult>).value.rows);
      queued.forEach((q, i) => q.onCommitted?.(rows[statements.length + i]!));
      return rows.slice(0, statements.length);
    },
    atCommit(statement) {
      if (finished) throw new Error("transaction already finished");
      if (statement.orgId && statement.orgId !== scope.orgId) throw new Error("one transaction, one organization");
      atCommit.push(statement);
    },
  };
  try {
    const result = await fn(sql);
    if (!finished) {
      if (atCommit.length > 0) {
        await sql.finish([]);
      } else {
        finished = true;
        await begin;
        await client.query("COMMIT");
      }
    }
    return result;
  } catch (e) {
    try {
      // After a failed finish() the transaction is already rolled back; ROLLBACK then only warns.
      await client.query("ROLLBACK");
    } catch {
      broken = true;
    }
    throw e;
  } finally {
    client.removeListener("error", onError);
    client.release(broken ? true : undefined);
  }
}

/**
 * A transaction with no tenant, pipelined like finish(): for the benchmark
 * floor (bench_floor holds no tenant data), so the floor and the hot path are
 * measured with the same transport.
 */
export async function pipelinedTransaction(statements: Statement[]): Promise<pg.QueryResultRow[][]> {
  const client = await pipelinePool().connect();
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on("error", onError);
  try {
    const sent = inOneWrite(client, () => [
      client.query("BEGIN"),
      ...statements.map((s) => run(client, s)),
      client.query("COMMIT"),
    ]);
    const settled = await Promise.allSettled(sent);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    return settled.slice(1, -1).map((r) => (r as PromiseFulfilledResult<pg.QueryResult>).value.rows);
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {
      broken = true;
    });
    throw e;
  } finally {
    client.removeListener("error", onError);
    client.release(broken ? true : undefined);
  }
}
