// Generates the typed Prisma client. The Prisma CLI insists on a schema-engine
// binary it cannot download offline, but `generate` never runs it, so any
// executable satisfies the check. Migrations are SQL (dbmate), not Prisma's.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const engine = process.env.PRISMA_SCHEMA_ENGINE_BINARY || (existsSync("/bin/true") ? "/bin/true" : process.execPath);
const r = spawnSync("npx", ["--no-install", "prisma", "generate"], {
  stdio: ["ignore", "inherit", "inherit"],
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: engine,
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  },
});
process.exit(r.status ?? 1);
