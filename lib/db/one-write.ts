import type pg from "pg";

/**
 * Runs `send`, which issues pipelined queries on `client` synchronously (a
 * transaction's last statements and its COMMIT), with the socket corked, so
 * they leave in one write. pg writes each message separately: a process
 * stopped between those writes (SIGSTOP, a VM pause) would leave the server
 * with the statements run (an audit head locked) and no COMMIT until
 * idle_in_transaction_session_timeout. Once the bytes are in the kernel's
 * buffer they go out even from a stopped process.
 */
export function inOneWrite<T>(client: pg.ClientBase, send: () => T): T {
  const stream = (client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } })
    .connection?.stream;
  if (typeof stream?.cork !== "function" || typeof stream.uncork !== "function") return send();
  stream.cork();
  try {
    return send();
  } finally {
    stream.uncork();
  }
}
