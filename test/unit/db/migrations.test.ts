import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// dbmate orders migrations by the 14-digit version in the file name and records each version
// once: two files with one version make every fresh database fail to migrate. Parallel
// branches each picking "the next timestamp" is how that happens.
const dir = path.resolve(import.meta.dirname, "../../../prisma/migrations");
const files = readdirSync(dir).filter((f) => f.endsWith(".sql"));

describe("migrations", () => {
  it("each has a unique 14-digit version and a name", () => {
    const versions = new Map<string, string[]>();
    for (const f of files) {
      const m = /^(\d{14})_[a-z0-9_]+\.sql$/.exec(f);
      expect(m, `${f}: expected <14-digit version>_<snake_case_name>.sql`).not.toBeNull();
      versions.set(m![1]!, [...(versions.get(m![1]!) ?? []), f]);
    }
    const clashes = [...versions.values()].filter((fs) => fs.length > 1);
    expect(clashes, "migrations sharing a version (rename the newer one)").toEqual([]);
  });

  it("each has an up and a down section", () => {
    for (const f of files) {
      const body = readFileSync(path.join(dir, f), "utf8");
      expect(body, f).toMatch(/^-- migrate:up\b/m);
      expect(body, f).toMatch(/^-- migrate:down\b/m);
    }
  });
});
