/**
 * Prepares a database for Warden: secrets, database, roles, migrations, the app
 * role's password, and (with --seed) the demo data. Used by `npm start`, the
 * test command and CI.
 *
 *   tsx scripts/setup.ts [--database NAME] [--recreate] [--seed] [--runtime-env FILE] [--port N]
 *
 * DATABASE_URL (owner/migrator) is honoured, then the one remembered in
 * .warden/local.env (the embedded PostgreSQL's), then the local PostgreSQL on
 * 127.0.0.1:5432. `npm start` and `npm test` run this under scripts/with-db.ts,
 * which picks (or starts) the server. Writes the runtime environment (the app
 * role's URL, the auth secret) to --runtime-env for the server process.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { APP_ROLE_CHECK_SQL, appRoleProblem, type AppRoleRow } from "../lib/db/role-check";
import {
  appUrl,
  canConnect,
  configureAppRole,
  DEFAULT_OWNER_URL,
  ensureDatabase,
  migrate,
  migrateQueue,
  withDatabase,
} from "./lib/db-admin";
import { loadSecrets, writeEnvFile } from "./lib/local-env";

const { values: args } = parseArgs({
  options: {
    database: { type: "string" },
    recreate: { type: "boolean", default: false },
    seed: { type: "boolean", default: false },
    "runtime-env": { type: "string" },
    port: { type: "string", default: process.env.PORT ?? "3000" },
  },
});

/** The app role must be confined by RLS (lib/db/role-check.ts); refuse to hand out a URL that is not. */
async function assertConfinedAppRole(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const problem = appRoleProblem((await c.query<AppRoleRow>(APP_ROLE_CHECK_SQL)).rows[0]);
    if (problem) throw new Error(problem);
  } finally {
    await c.end();
  }
}

async function main() {
  const secrets = loadSecrets(process.env);
  let ownerUrl = process.env.DATABASE_URL ?? secrets.DATABASE_URL ?? DEFAULT_OWNER_URL;
  if (args.database) ownerUrl = withDatabase(ownerUrl, args.database);

  for (let i = 0; i < 10 && !(await canConnect(ownerUrl)); i++) await new Promise((r) => setTimeout(r, 500));
  if (!(await canConnect(ownerUrl))) {
    const safe = new URL(ownerUrl);
    safe.password = safe.password ? "***" : "";
    throw new Error(
      `Cannot connect to PostgreSQL at ${safe.toString()}. Set DATABASE_URL to an owner/migrator connection, ` +
        "or run through `npm start` / `npm test`, which start an embedded PostgreSQL when none answers.",
    );
  }

  const created = await ensureDatabase(ownerUrl, { recreate: args.recreate });
  console.log(`  database ${new URL(ownerUrl).pathname.slice(1)}: ${created}`);
  migrate(ownerUrl);
  await migrateQueue(ownerUrl);
  await configureAppRole(ownerUrl, secrets.WARDEN_APP_DB_PASSWORD!);

  const runtime: Record<string, string> = {
    APP_DATABASE_URL: process.env.APP_DATABASE_URL ?? appUrl(ownerUrl, secrets.WARDEN_APP_DB_PASSWORD!),
    NEXTAUTH_SECRET: secrets.NEXTAUTH_SECRET!,
    NEXTAUTH_URL: process.env.NEXTAUTH_URL ?? `http://localhost:${args.port}`,
    WARDEN_ENCRYPTION_KEYS: secrets.WARDEN_ENCRYPTION_KEYS!,
    WARDEN_AUDIT_SIGNING_KEYS: secrets.WARDEN_AUDIT_SIGNING_KEYS!,
  };
  await assertConfinedAppRole(runtime.APP_DATABASE_URL!);
  if (args["runtime-env"]) writeEnvFile(args["runtime-env"], runtime);

  if (args.seed) {
    Object.assign(process.env, runtime);
    const { seedDemo } = await import("../prisma/seed");
    const { closeDb } = await import("../lib/db/client");
    await seedDemo(secrets.WARDEN_DEMO_PASSWORD!);
    await closeDb();
    console.log("  demo data seeded");
  }
}

main().catch((e: unknown) => {
  console.error(`setup failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
