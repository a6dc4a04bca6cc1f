import type { Tx } from "../db/tenant";
import { log } from "../log";
import { compileAlertRule, type CompiledAlertRule } from "./engine";
import type { RuleMode } from "./schemas";

export type LiveRule = CompiledAlertRule & { mode: Exclude<RuleMode, "disabled">; template: string | null };

/**
 * Compiled rules by version row id: versions are immutable, so a compiled
 * version never goes stale. Bounded; cleared wholesale when full.
 */
const compiled = new Map<string, CompiledAlertRule | null>();
const MAX_CACHED = 5000;

function compileCached(versionId: string, meta: { id: string; name: string; version: number }, spec: unknown) {
  if (compiled.has(versionId)) return compiled.get(versionId)!;
  let rule: CompiledAlertRule | null;
  try {
    rule = compileAlertRule(meta, spec, { stored: true });
  } catch (err) {
    // A stored version that no longer compiles (engine change) is skipped, loudly.
    log().error({ err, ruleId: meta.id, version: meta.version }, "alert rule version does not compile; skipped");
    rule = null;
  }
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(versionId, rule);
  return rule;
}

/** The organization's active and shadow rules at their current versions. */
export async function loadLiveRules(tx: Tx, orgId: string): Promise<LiveRule[]> {
  const rows = await tx.$queryRaw<
    {
      id: string;
      name: string;
      mode: RuleMode;
      template: string | null;
      version: number;
      version_id: string;
      spec: unknown;
    }[]
  >`
    SELECT r.id::text, r.name, r.mode, r.template, r.version, v.id::text AS version_id, v.spec
    FROM alert_rules r
    JOIN alert_rule_versions v ON v.org_id = r.org_id AND v.rule_id = r.id AND v.version = r.version
    WHERE r.org_id = ${orgId}::uuid AND r.mode <> 'disabled'
    ORDER BY r.created_at, r.id`;
  const out: LiveRule[] = [];
  for (const r of rows) {
    const c = compileCached(r.version_id, { id: r.id, name: r.name, version: r.version }, r.spec);
    if (c) out.push({ ...c, name: r.name, mode: r.mode as LiveRule["mode"], template: r.template });
  }
  return out;
}
