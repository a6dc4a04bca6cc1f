import { defineConfig } from "vitest/config";
import { appUrl, DEFAULT_OWNER_URL, withDatabase } from "./scripts/lib/db-admin.ts";
import { loadSecrets } from "./scripts/lib/local-env.ts";

const root = import.meta.dirname;
const secrets = loadSecrets(process.env);
// The owner URL: the environment's (scripts/with-db.ts sets it), else the embedded
// PostgreSQL's remembered in .warden/local.env, else the local server.
const ownerUrl = withDatabase(
  process.env.DATABASE_URL ?? secrets.DATABASE_URL ?? DEFAULT_OWNER_URL,
  process.env.WARDEN_TEST_DATABASE ?? "warden_test",
);

export default defineConfig({
  resolve: { alias: { "@": root } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          env: { NODE_ENV: "test", LOG_LEVEL: "silent" },
        },
      },
      {
        extends: true,
        test: {
          name: "db",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/global-setup.ts"],
          pool: "forks",
          testTimeout: 30_000,
          hookTimeout: 60_000,
          env: {
            NODE_ENV: "test",
            LOG_LEVEL: "silent",
            TEST_OWNER_DATABASE_URL: ownerUrl,
            APP_DATABASE_URL: appUrl(ownerUrl, secrets.WARDEN_APP_DB_PASSWORD!),
            WARDEN_APP_DB_PASSWORD: secrets.WARDEN_APP_DB_PASSWORD!,
            NEXTAUTH_SECRET: "test-secret-test-secret-test-secret-0123456789",
            NEXTAUTH_URL: "http://localhost:3999",
            DB_POOL_MAX: "5",
            WARDEN_ENCRYPTION_KEYS: secrets.WARDEN_ENCRYPTION_KEYS!,
            WARDEN_AUDIT_SIGNING_KEYS: secrets.WARDEN_AUDIT_SIGNING_KEYS!,
            APPROVAL_SWEEP_INTERVAL_SECONDS: "1",
          },
        },
      },
    ],
  },
});
