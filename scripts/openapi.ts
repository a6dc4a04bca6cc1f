/**
 * Writes docs/openapi.json from the route declarations (scripts/lib/openapi.ts).
 *   npm run openapi
 */
import { writeFileSync } from "node:fs";
import { generateOpenApi } from "./lib/openapi";

const { document, undocumented } = await generateOpenApi();
if (undocumented.length > 0) {
  console.error(`Routes without a declaration to document:\n  ${undocumented.join("\n  ")}`);
  process.exit(1);
}
writeFileSync("docs/openapi.json", `${JSON.stringify(document, null, 2)}\n`);
console.log(`docs/openapi.json: ${Object.keys(document.paths as object).length} paths`);
process.exit(0);
