import { defineConfig } from "prisma/config";

// The Prisma CLI is used only to generate the typed client. Migrations are plain
// SQL applied by dbmate (see scripts/db.ts), so no datasource URL is needed here.
export default defineConfig({
  schema: "prisma/schema.prisma",
});
