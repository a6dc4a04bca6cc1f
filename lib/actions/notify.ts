import pg from "pg";
import { rawSql, type AnyTx } from "../db/sql";
import { env } from "../env";
import { log } from "../log";

/**
 * Action status changes, across every app instance: transactions that change
 * an action's status call notifyActionChanged(), whose pg_notify on the
 * 'warden_action' channel is delivered at commit. A long-polling request waits here instead of holding a
 * database connection. Only ids travel on the channel; a waiter re-reads the
 * action inside its own tenant transaction.
 */
const ACTION_CHANNEL = "warden_action";

/** Wakes whoever waits on these actions, on every instance, when the caller's transaction commits. */
export async function notifyActionChanged(tx: AnyTx, actionIds: readonly string[]): Promise<void> {
  if (actionIds.length === 0) return;
  await rawSql(tx).query(
    // pg_notify returns void, which Prisma's raw queries cannot read: return a count instead.
    "SELECT count(*)::int AS n FROM unnest($2::text[]) AS id, pg_notify($1, id)",
    [ACTION_CHANNEL, actionIds],
    "notify_action",
  );
}

type Waiter = () => void;
const waiters = new Map<string, Set<Waiter>>();
let listener: Promise<pg.Client> | null = null;

async function connect(): Promise<pg.Client> {
  // Keepalive: a listener whose server vanished is noticed (and replaced) instead of waiting forever.
  const client = new pg.Client({
    connectionString: env().APP_DATABASE_URL,
    application_name: "warden-listen",
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  client.on("notification", (msg) => {
    if (msg.channel !== ACTION_CHANNEL || !msg.payload) return;
    const set = waiters.get(msg.payload);
    if (set) for (const w of set) w();
  });
  client.on("error", (err) => {
    log().warn({ err }, "action listener lost its connection; reconnecting on next wait");
    listener = null;
    // Wake everyone: they re-read and wait again on a fresh connection.
    for (const set of waiters.values()) for (const w of set) w();
  });
  await client.connect();
  await client.query(`LISTEN ${ACTION_CHANNEL}`);
  return client;
}

/**
 * Resolves when the action's status may have changed, or after `ms`. Callers
 * always re-read, so a spurious wake-up is harmless and a missed notification
 * costs at most the fallback interval.
 */
export async function waitForActionChange(actionId: string, ms: number): Promise<void> {
  try {
    listener ??= connect().catch((e: unknown) => {
      listener = null;
      throw e;
    });
    await listener;
  } catch (err) {
    log().warn({ err }, "could not LISTEN for action changes; falling back to polling");
  }
  await new Promise<void>((resolve) => {
    let set = waiters.get(actionId);
    if (!set) {
      set = new Set();
      waiters.set(actionId, set);
    }
    const done = () => {
      clearTimeout(timer);
      set!.delete(done);
      if (set!.size === 0) waiters.delete(actionId);
      resolve();
    };
    const timer = setTimeout(done, ms);
    set.add(done);
  });
}
