import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores([
    ".next/**",
    "node_modules/**",
    "lib/db/generated/**",
    "next-env.d.ts",
    "test-results/**",
    "playwright-report/**",
  ]),
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: "Read configuration through lib/env.ts.",
        },
      ],
    },
  },
  {
    // The tenancy wall: the raw client is reachable only from lib/db.
    files: ["**/*.ts", "**/*.tsx"],
    ignores: ["lib/db/**", "test/**", "scripts/**", "prisma/**", "e2e/**", "bench/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/db/client", "@/lib/db/client"],
              importNames: ["db", "pipelinePool"],
              message: "Use withTenant()/withUser() from lib/db/tenant or withTenantSql() from lib/db/sql.",
            },
            {
              group: ["**/db/generated/*", "@/lib/db/generated/*"],
              importNames: ["PrismaClient"],
              message: "Use withTenant()/withUser() from lib/db/tenant.",
            },
          ],
        },
      ],
    },
  },
  {
    // Launchers, scripts, tests and tool configs may read their own environment.
    files: [
      "lib/env.ts",
      "proxy.ts",
      "server.mjs",
      "scripts/**",
      "test/**",
      "e2e/**",
      "bench/**",
      "*.config.*",
      "prisma/**",
    ],
    rules: { "no-restricted-syntax": "off" },
  },
]);
