import type { Sql } from "../db/sql";
import { compileStoredPolicy, type CompiledPolicy } from "./compile";
import { policyInputSchema } from "./schemas";
import { AppError } from "../errors";

/**
 * Compiled policies by version id. Published versions are immutable (a
 * database trigger refuses changes), so an entry can never go stale; the map
 * is bounded so a long-lived process does not grow without limit.
 */
const MAX_ENTRIES = 256;
const cache = new Map<string, CompiledPolicy>();

export function cachedPolicy(id: string): CompiledPolicy | undefined {
  const hit = cache.get(id);
  if (hit) {
    cache.delete(id);
    cache.set(id, hit);
  }
  return hit;
}

export function compileAndCache(id: string, rules: unknown): CompiledPolicy {
  const parsed = policyInputSchema.safeParse({ rules });
  if (!parsed.success)
    throw new AppError("internal", "A stored policy version does not parse", { cause: parsed.error });
  const compiled = compileStoredPolicy(parsed.data.rules);
  cache.set(id, compiled);
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return compiled;
}

/** The compiled policy for a version, reading its rules inside the caller's tenant transaction on a miss. */
export async function loadCompiledPolicy(sql: Sql, id: string): Promise<CompiledPolicy> {
  const hit = cachedPolicy(id);
  if (hit) return hit;
  const rows = await sql.query<{ rules: unknown }>(
    "SELECT rules FROM policy_versions WHERE id = $1",
    [id],
    "policy_rules_by_id",
  );
  if (!rows[0]) throw new AppError("internal", "The active policy version was not found");
  return compileAndCache(id, rows[0].rules);
}
