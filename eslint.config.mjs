import { readdirSync } from "node:fs";
import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

/**
 * The layers of lib/, lowest first (docs/ARCHITECTURE.md, "Layers"). An area
 * imports its own files and areas of lower layers, never its layer's neighbours
 * or anything above; import/no-cycle catches cycles inside an area. Every
 * entry of lib/ must be placed here (lint refuses to start otherwise); areas
 * not created yet may be listed.
 */
const LIB_LAYERS = [
  ["env.ts", "errors.ts", "json.ts"],
  ["log.ts", "metrics", "validation.ts"],
  ["db"],
  ["rbac", "security"],
  ["audit", "connectors", "notifications"],
  ["config", "proof-pack"],
  ["policy"],
  ["actions", "agents", "alerts", "orgs", "posture"],
  ["auth"],
  ["approvals", "exports", "keys"],
  ["account", "members", "sso"],
  ["http", "jobs", "sdk"],
];

const unplaced = readdirSync(new URL("./lib", import.meta.url)).filter((e) => !LIB_LAYERS.flat().includes(e));
if (unplaced.length > 0) {
  throw new Error(`eslint.config.mjs: place ${unplaced.map((e) => `lib/${e}`).join(", ")} in LIB_LAYERS`);
}

const layerZones = LIB_LAYERS.flatMap((layer, i) =>
  layer.map((area) => ({
    target: `./lib/${area}`,
    from: LIB_LAYERS.slice(i)
      .flat()
      .filter((other) => other !== area)
      .map((other) => `./lib/${other}`),
    message: `lib/${area} may import only lower layers (LIB_LAYERS in eslint.config.mjs, docs/ARCHITECTURE.md "Layers").`,
  })),
);

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
    // lib/ is layered and free of cycles; only lib/http speaks Next.js.
    files: ["lib/**/*.ts", "lib/**/*.mjs"],
    ignores: ["lib/db/generated/**"],
    rules: {
      "import/no-cycle": ["error", { ignoreExternal: true }],
      "import/no-restricted-paths": ["error", { zones: layerZones }],
    },
  },
  {
    files: ["lib/**/*.ts", "lib/**/*.mjs"],
    ignores: ["lib/http/**", "lib/db/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["next", "next/*", "react", "react-dom", "react/*"],
              message: "lib/ is framework-free; Next.js belongs in lib/http.",
            },
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
