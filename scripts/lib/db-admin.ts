/**
 * Database administration for the start and test commands: create the
 * database if missing, apply SQL migrations with dbmate, give the app role its
 * password. Runs as the owner/migrator (DATABASE_URL).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import pg from "pg";

export const DEFAULT_OWNER_URL = "postgres://postgres@127.0.0.1:5432/warden";

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, "")) || "postgres";
}

export function isLocalUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "::1" || host === "[::1]" || host === "";
}

/** dbmate (lib/pq) wants sslmode spelled out for a server without TLS. */
function dbmateUrl(url: string): string {
  const u = new URL(url);
  if (!u.searchParams.has("sslmode") && isLocalUrl(url)) u.searchParams.set("sslmode", "disable");
  return u.toString();
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function canConnect(url: string): Promise<boolean> {
  try {
    await withClient(withDatabase(url, "postgres"), (c) => c.query("SELECT 1"));
    return true;
  } catch {
    return false;
  }
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

export async function ensureDatabase(url: string, opts: { recreate?: boolean } = {}): Promise<"created" | "exists"> {
  const name = databaseName(url);
  return withClient(withDatabase(url, "postgres"), async (c) => {
    if (opts.recreate) {
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    }
    const { rowCount } = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount) return "exists";
    await c.query(`CREATE DATABASE ${quoteIdent(name)}`);
    return "created";
  });
}

export function migrate(url: string): void {
  const root = path.resolve(import.meta.dirname, "../..");
  const bin = path.join(root, "node_modules", ".bin", "dbmate");
  const r = spawnSync(
    bin,
    ["--url", dbmateUrl(url), "--migrations-dir", path.join(root, "prisma", "migrations"), "--no-dump-schema", "up"],
    { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" },
  );
  if (r.status !== 0) {
    throw new Error(`dbmate failed:\n${r.stdout}\n${r.stderr}`);
  }
  const applied = r.stdout.split("\n").filter((l) => l.startsWith("Applied"));
  for (const line of applied) console.log(`  ${line}`);
}

/**
 * The durable job queue (graphile-worker) keeps its own schema. It is created
 * and migrated here, by the owner, never by warden_app at run time (which owns
 * nothing); warden_app gets row verbs on its tables and may call its
 * functions. Its jobs carry only ids: tenant data stays behind RLS.
 */
export async function migrateQueue(url: string): Promise<void> {
  const { runMigrations } = await import("graphile-worker");
  const { Logger } = await import("graphile-worker");
  // Errors only: the migrations are not worth a line each.
  const logger = new Logger(() => (level: string, message: string) => {
    if (level === "error") console.error(message);
  });
  await runMigrations({ connectionString: url, logger });
  await withClient(url, async (c) => {
    await c.query(`GRANT USAGE ON SCHEMA graphile_worker TO warden_app`);
    await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA graphile_worker TO warden_app`);
    await c.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA graphile_worker TO warden_app`);
    await c.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA graphile_worker TO warden_app`);
    // graphile-worker turns row-level security on for its private tables (to
    // hide them from API layers). They hold job ids, never tenant data: the
    // worker role may use every row.
    const { rows } = await c.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c WHERE c.relnamespace = 'graphile_worker'::regnamespace
         AND c.relkind IN ('r', 'p') AND c.relrowsecurity`,
    );
    for (const { name } of rows) {
      await c.query(`DROP POLICY IF EXISTS warden_worker ON graphile_worker.${quoteIdent(name)}`);
      await c.query(
        `CREATE POLICY warden_worker ON graphile_worker.${quoteIdent(name)} TO warden_app USING (true) WITH CHECK (true)`,
      );
    }
  });
}

/** Gives warden_app its login password and lets it connect to this database. */
export async function configureAppRole(url: string, password: string): Promise<void> {
  const name = databaseName(url);
  await withClient(url, async (c) => {
    await c.query(`ALTER ROLE warden_app WITH LOGIN PASSWORD ${quoteLiteral(password)}`);
    await c.query(`GRANT CONNECT ON DATABASE ${quoteIdent(name)} TO warden_app`);
  });
}

export function appUrl(ownerUrl: string, password: string): string {
  const u = new URL(ownerUrl);
  u.username = "warden_app";
  u.password = password;
  return u.toString();
}
