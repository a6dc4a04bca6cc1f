import { defineConfig } from "vitest/config";
import { appUrl, DEFAULT_OWNER_URL, withDatabase } from "./scripts/lib/db-admin.ts";
import { loadSecrets } from "./scripts/lib/local-env.ts";

const root = import.meta.dirname;
const secrets = loadSecrets(process.env);
// The owner URL: the environment's (scripts/with-db.ts sets it), else the embedded
// PostgreSQL's remembered in .warden/local.env, else the local server.
const baseOwnerUrl = process.env.DATABASE_URL ?? secrets.DATABASE_URL ?? DEFAULT_OWNER_URL;
const testDatabase = process.env.WARDEN_TEST_DATABASE ?? "warden_test";
const ownerUrl = withDatabase(baseOwnerUrl, testDatabase);
// The multi-instance test's own database (next to the test database, e.g. warden_cluster_test).
const clusterOwnerUrl = withDatabase(baseOwnerUrl, `${testDatabase.replace(/_test$/, "")}_cluster_test`);

const dbEnv = (url: string) => ({
  NODE_ENV: "test" as const,
  LOG_LEVEL: "silent",
  TEST_OWNER_DATABASE_URL: url,
  APP_DATABASE_URL: appUrl(url, secrets.WARDEN_APP_DB_PASSWORD!),
  WARDEN_APP_DB_PASSWORD: secrets.WARDEN_APP_DB_PASSWORD!,
  NEXTAUTH_SECRET: "test-secret-test-secret-test-secret-0123456789",
  NEXTAUTH_URL: "http://localhost:3999",
  DB_POOL_MAX: "5",
  WARDEN_ENCRYPTION_KEYS: secrets.WARDEN_ENCRYPTION_KEYS!,
  WARDEN_AUDIT_SIGNING_KEYS: secrets.WARDEN_AUDIT_SIGNING_KEYS!,
  APPROVAL_SWEEP_INTERVAL_SECONDS: "1",
  // The tests' identity providers listen on http://127.0.0.1.
  WARDEN_SSO_ALLOW_HTTP: "1",
  // …and private addresses are refused to IdPs unless allowed (lib/sso/idp-fetch.ts).
  WARDEN_SSO_PRIVATE_IDP_CIDRS: "127.0.0.1/32",
  // Every in-process SSO start comes from 127.0.0.1, across parallel test files.
  RATE_LIMIT_SSO_START_PER_MINUTE: "150",
});

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
          // Property tests run thousands of cases; on a loaded 2-core CI machine the default
          // 5 s is a measure of the neighbours, not of the code.
          testTimeout: 30_000,
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
          env: dbEnv(ownerUrl),
        },
      },
      // Three production servers on one database (test/cluster). Needs `next build`;
      // only when asked: WARDEN_CLUSTER_TEST=1 vitest run --project cluster.
      ...(process.env.WARDEN_CLUSTER_TEST === "1"
        ? [
            {
              extends: true as const,
              test: {
                name: "cluster",
                include: ["test/cluster/**/*.test.ts"],
                environment: "node",
                globalSetup: ["test/global-setup.ts"],
                pool: "forks" as const,
                testTimeout: 120_000,
                hookTimeout: 240_000,
                env: dbEnv(clusterOwnerUrl),
              },
            },
          ]
        : []),
    ],
  },
});
