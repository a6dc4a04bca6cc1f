import type pg from "pg";
import { env } from "../env";

/**
 * What every app connection is told at login, so a failure stays small
 * (docs/RELIABILITY.md has the measurements behind the numbers):
 *
 * - `lock_timeout`: a request waiting on a row lock (typically an
 *   organization's audit-chain head held by a frozen or partitioned process)
 *   gives up after DB_LOCK_TIMEOUT_MS and answers 503 + Retry-After instead of
 *   hanging and holding a pooled connection;
 * - `statement_timeout`: no request statement runs longer than its
 *   transaction's budget (long jobs raise both for their own transaction,
 *   lib/db/tenant.ts);
 * - `idle_in_transaction_session_timeout`: the server ends a transaction whose
 *   process stopped talking (VM pause, SIGSTOP, partition) and releases its
 *   locks, instead of waiting for TCP to give up (hours);
 * - TCP keepalive on both ends and `client_connection_check_interval`: a dead
 *   peer is noticed within a minute, and the server stops working for a
 *   client that is gone.
 *
 * The migration 20261201010000_app_role_limits sets the same defaults on the
 * role in each database, for any other connection as warden_app.
 */
export type PoolKind = "tenant" | "hot" | "infra";

export function sessionLimits(kind: PoolKind): Record<string, number> {
  const e = env();
  const limits: Record<string, number> = {
    lock_timeout: e.DB_LOCK_TIMEOUT_MS,
    statement_timeout: e.DB_STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: e.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
  if (kind === "hot") {
    // The hot path's transactions are a few pipelined round trips.
    limits.statement_timeout = Math.min(limits.statement_timeout!, 5_000);
    limits.idle_in_transaction_session_timeout = Math.min(limits.idle_in_transaction_session_timeout!, 5_000);
  }
  if (kind === "infra") {
    // Single autocommit statements on counters: short waits, or the caller fails closed.
    limits.statement_timeout = Math.min(limits.statement_timeout!, 2_000);
    limits.lock_timeout = Math.min(limits.lock_timeout!, 1_000);
  }
  return limits;
}

/** Server-side TCP keepalive (seconds) and the dead-client check while a statement runs (ms). */
const SERVER_SOCKET = {
  tcp_keepalives_idle: 30,
  tcp_keepalives_interval: 10,
  tcp_keepalives_count: 3,
  client_connection_check_interval: 5_000,
};

/** The pg.Pool options every app pool shares: keepalive and the startup settings above. */
export function connectionOptions(kind: PoolKind, extra: Record<string, string | number> = {}): Partial<pg.PoolConfig> {
  const settings = { ...sessionLimits(kind), ...SERVER_SOCKET, ...extra };
  return {
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    options: Object.entries(settings)
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(" "),
  };
}
