/** Recognises a unique-constraint violation from Prisma or from raw SQL. */
export function isUniqueViolation(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === "object"; i++) {
    const code = (cur as { code?: unknown }).code;
    if (code === "P2002" || code === "23505") return true;
    const meta = (cur as { meta?: { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } } }).meta;
    const cause = meta?.driverAdapterError?.cause;
    if (cause?.originalCode === "23505" || cause?.kind === "UniqueConstraintViolation") return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Why a request could not be served by the database, when the answer is "try
 * again shortly" rather than a bug:
 *
 * - `unavailable`: the connection is gone or cannot be made (the server died,
 *   restarted, was shut down, the socket broke, the pool could not connect in
 *   time, the session was ended by idle_in_transaction_session_timeout);
 * - `busy`: the server is up but the request gave up waiting (lock_timeout,
 *   statement_timeout, a deadlock or serialization failure, the bulkhead or
 *   pool queue full).
 *
 * Both are answered 503 with Retry-After, never 500: nothing was committed
 * (a transaction that loses its connection before COMMIT's answer is rolled
 * back by the server, and every write here is idempotent or audited).
 */
export type DbFailure = "unavailable" | "busy";

// SQLSTATEs: class 08 (connection exception) and the operator-intervention codes.
const UNAVAILABLE_SQLSTATE = new Set([
  "57P01", // admin_shutdown (pg_terminate_backend, fast shutdown)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, recovering)
  "57P05", // idle_session_timeout
  "25P03", // idle_in_transaction_session_timeout
  "53300", // too_many_connections
  "53400", // configuration_limit_exceeded
  "3D000", // the database is being dropped / recreated
]);
const BUSY_SQLSTATE = new Set([
  "55P03", // lock_not_available (lock_timeout)
  "57014", // query_canceled (statement_timeout)
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "53200", // out_of_memory
  "53100", // disk_full
]);
// Node socket errors and Prisma's connection codes.
const UNAVAILABLE_CODES = new Set([
  "EPIPE",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTCONN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ERR_STREAM_DESTROYED",
  "ERR_SOCKET_CLOSED",
  "P1001", // can't reach database server
  "P1002", // database server timed out
  "P1008", // operation timed out
  "P1017", // server closed the connection
  "P2024", // timed out fetching a connection from the pool
]);
const BUSY_CODES = new Set([
  "P2028", // transaction API error (the interactive transaction timed out or was closed)
  "P2034", // write conflict or deadlock
  "P2037", // too many connections
]);
// Prisma driver-adapter error kinds (meta.driverAdapterError.cause.kind).
const UNAVAILABLE_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "DatabaseDoesNotExist",
]);
const BUSY_KINDS = new Set(["TransactionWriteConflict"]);

const UNAVAILABLE_MESSAGE =
  /Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end|connect ECONNREFUSED|timeout exceeded when trying to connect|terminating connection due to|the database system is (starting up|shutting down|in recovery mode)|server closed the connection unexpectedly|write EPIPE|read ECONNRESET|socket hang up|Connection closed|Can't reach database server/i;
const BUSY_MESSAGE =
  /canceling statement due to (lock|statement) timeout|could not obtain lock|Transaction already closed|Transaction not found|expired transaction|deadlock detected/i;

function sqlstateOf(text: string): string | null {
  // Prisma renders raw-query failures as "... Code: `57P01`. Message: ..."
  return /Code: `([0-9A-Z]{5})`/.exec(text)?.[1] ?? null;
}

function classifyCode(code: string): DbFailure | null {
  if (UNAVAILABLE_SQLSTATE.has(code) || UNAVAILABLE_CODES.has(code) || code.startsWith("08")) return "unavailable";
  if (BUSY_SQLSTATE.has(code) || BUSY_CODES.has(code)) return "busy";
  return null;
}

/** Classifies anything thrown by pg, Prisma or the pools (walking `cause` chains); null when it is not such a failure. */
export function classifyDbFailure(e: unknown): DbFailure | null {
  let cur: unknown = e;
  for (let i = 0; i < 8 && cur && typeof cur === "object"; i++) {
    const o = cur as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown; originalCode?: unknown } } };
    };
    if (cur instanceof AggregateError) {
      for (const inner of cur.errors as unknown[]) {
        const r = classifyDbFailure(inner);
        if (r) return r;
      }
    }
    if (typeof o.code === "string") {
      const r = classifyCode(o.code);
      if (r) return r;
    }
    const adapter = o.meta?.driverAdapterError?.cause;
    if (adapter) {
      for (const c of [adapter.originalCode, adapter.code]) {
        if (typeof c === "string") {
          const r = classifyCode(c);
          if (r) return r;
        }
      }
      if (typeof adapter.kind === "string") {
        if (UNAVAILABLE_KINDS.has(adapter.kind)) return "unavailable";
        if (BUSY_KINDS.has(adapter.kind)) return "busy";
      }
    }
    if (typeof o.message === "string") {
      const code = sqlstateOf(o.message);
      const r = code ? classifyCode(code) : null;
      if (r) return r;
      if (UNAVAILABLE_MESSAGE.test(o.message)) return "unavailable";
      if (BUSY_MESSAGE.test(o.message)) return "busy";
    }
    cur = o.cause;
  }
  return null;
}
