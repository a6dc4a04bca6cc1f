import type { TestProject } from "vitest/node";
import { configureAppRole, ensureDatabase, migrate, migrateQueue } from "../scripts/lib/db-admin";
import { assertLocalTestDatabase } from "./helpers/guard";

/** A fresh test database per run: recreated, migrated, app role configured. */
export default async function setup(project: TestProject) {
  const url = project.config.env.TEST_OWNER_DATABASE_URL as string;
  assertLocalTestDatabase(url);
  await ensureDatabase(url, { recreate: true });
  migrate(url);
  await migrateQueue(url);
  await configureAppRole(url, project.config.env.WARDEN_APP_DB_PASSWORD as string);
}
