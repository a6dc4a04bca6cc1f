import { appendAuditEvent } from "../audit/append-event";
import { withTenant, type Tx } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { parseOr422 } from "../validation";
import { actorOf, assertCan, tenantOf, userIdOf, type OrgContext } from "../rbac/context";
import { compileAlertRule, describeGroup } from "./engine";
import { ensureCursor } from "./evaluate-alerts";
import { createRuleSchema, updateRuleSchema, type RuleMode, type RuleSpec } from "./schemas";
import { templateById } from "./templates";

export type RuleView = {
  id: string;
  name: string;
  mode: RuleMode;
  template: string | null;
  version: number;
  spec: RuleSpec;
  /** firing when any group fires, pending when any group is on its way, ok otherwise. */
  state: "ok" | "pending" | "firing";
  firing_groups: string[];
  last_fired_at: string | null;
  created_at: string;
  updated_at: string;
};

export type RuleVersionView = { version: number; spec: unknown; created_at: string; created_by: string | null };

type Row = {
  id: string;
  name: string;
  mode: RuleMode;
  template: string | null;
  version: number;
  spec: RuleSpec;
  created_at: Date;
  updated_at: Date;
  firing: string[] | null;
  pending: number;
  last_fired_at: Date | null;
};

function toView(r: Row): RuleView {
  return {
    id: r.id,
    name: r.name,
    mode: r.mode,
    template: r.template,
    version: r.version,
    spec: r.spec,
    state: (r.firing?.length ?? 0) > 0 ? "firing" : r.pending > 0 ? "pending" : "ok",
    firing_groups: (r.firing ?? []).map(describeGroup),
    last_fired_at: r.last_fired_at?.toISOString() ?? null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

async function selectRules(tx: Tx, orgId: string, id: string | null): Promise<RuleView[]> {
  const rows = await tx.$queryRaw<Row[]>`
    SELECT r.id::text, r.name, r.mode, r.template, r.version, v.spec, r.created_at, r.updated_at,
           (SELECT array_agg(g.group_key ORDER BY g.group_key) FROM (SELECT group_key FROM alert_groups g
              WHERE g.org_id = r.org_id AND g.rule_id = r.id AND g.status = 'firing' LIMIT 20) g) AS firing,
           (SELECT count(*)::int FROM alert_groups g
              WHERE g.org_id = r.org_id AND g.rule_id = r.id AND g.status = 'pending') AS pending,
           (SELECT max(f.fired_at) FROM alert_firings f WHERE f.org_id = r.org_id AND f.rule_id = r.id) AS last_fired_at
    FROM alert_rules r
    JOIN alert_rule_versions v ON v.org_id = r.org_id AND v.rule_id = r.id AND v.version = r.version
    WHERE r.org_id = ${orgId}::uuid AND (${id}::uuid IS NULL OR r.id = ${id}::uuid)
    ORDER BY r.created_at, r.id`;
  return rows.map(toView);
}

export async function listRules(ctx: OrgContext): Promise<RuleView[]> {
  assertCan(ctx, "alerts:read");
  return withTenant(tenantOf(ctx), (tx) => selectRules(tx, ctx.org.id, null));
}

export async function getRule(ctx: OrgContext, id: string): Promise<RuleView & { versions: RuleVersionView[] }> {
  assertCan(ctx, "alerts:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    const [rule] = await selectRules(tx, ctx.org.id, id);
    if (!rule) throw notFound("Alert rule");
    const versions = await tx.$queryRaw<{ version: number; spec: unknown; created_at: Date; email: string | null }[]>`
      SELECT v.version, v.spec, v.created_at, u.email
      FROM alert_rule_versions v LEFT JOIN users u ON u.id = v.created_by_user_id
      WHERE v.org_id = ${ctx.org.id}::uuid AND v.rule_id = ${id}::uuid ORDER BY v.version DESC LIMIT 100`;
    return {
      ...rule,
      versions: versions.map((v) => ({
        version: v.version,
        spec: v.spec,
        created_at: v.created_at.toISOString(),
        created_by: v.email,
      })),
    };
  });
}

/** Validates and normalises a spec (defaults filled in), compiling its conditions. */
export function normaliseSpec(raw: unknown, name = "rule"): RuleSpec {
  const compiled = compileAlertRule({ id: "00000000-0000-0000-0000-000000000000", name, version: 1 }, raw);
  return compiled.spec;
}

async function assertChannels(tx: Tx, orgId: string, spec: RuleSpec): Promise<void> {
  const ids = [...new Set(spec.responses.flatMap((r) => (r.type === "notify" ? r.channels : [])))];
  if (ids.length === 0) return;
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text FROM alert_channels WHERE org_id = ${orgId}::uuid AND id = ANY(${ids}::uuid[])`;
  const known = new Set(rows.map((r) => r.id));
  const missing = spec.responses.flatMap((r, i) =>
    r.type === "notify" ? r.channels.filter((c) => !known.has(c)).map(() => i) : [],
  );
  if (missing.length > 0) {
    throw new AppError("validation_failed", "A notify response names a channel that does not exist", {
      errors: missing.map((i) => ({ path: `spec.responses.${i}.channels`, message: "unknown channel" })),
    });
  }
}

export async function createRule(ctx: OrgContext, raw: unknown): Promise<RuleView> {
  assertCan(ctx, "alerts:write");
  const body = parseOr422(createRuleSchema, raw);
  let specInput = body.spec;
  if (body.template !== undefined) {
    const t = templateById(body.template);
    if (!t)
      throw new AppError("validation_failed", "Unknown template", {
        errors: [{ path: "template", message: "unknown template" }],
      });
    specInput = body.spec ?? t.spec;
  }
  const spec = normaliseSpec(specInput, body.name);
  return withTenant(tenantOf(ctx), async (tx) => {
    await assertChannels(tx, ctx.org.id, spec);
    const exists = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM alert_rules WHERE org_id = ${ctx.org.id}::uuid AND name = ${body.name}`;
    if (exists.length > 0) throw new AppError("conflict", `A rule named "${body.name}" already exists`);
    const [row] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO alert_rules (org_id, name, template, mode, version, created_by_user_id)
      VALUES (${ctx.org.id}::uuid, ${body.name}, ${body.template ?? null}, ${body.mode}, 1, ${userIdOf(ctx)}::uuid)
      RETURNING id::text`;
    await tx.$executeRaw`
      INSERT INTO alert_rule_versions (org_id, rule_id, version, spec, created_by_user_id)
      VALUES (${ctx.org.id}::uuid, ${row!.id}::uuid, 1, ${JSON.stringify(spec)}::jsonb, ${userIdOf(ctx)}::uuid)`;
    await ensureCursor(tx, ctx.org.id);
    const [view] = await selectRules(tx, ctx.org.id, row!.id);
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "alert_rule.created",
      target: { type: "alert_rule", id: row!.id },
      ip: ctx.ip,
      data: { name: body.name, mode: body.mode, template: body.template ?? null, version: 1, spec },
    });
    return view!;
  });
}

/** A new version when the spec changes; name and mode are properties of the rule (audited, not versioned). */
export async function updateRule(ctx: OrgContext, id: string, raw: unknown): Promise<RuleView> {
  assertCan(ctx, "alerts:write");
  const body = parseOr422(updateRuleSchema, raw);
  const spec = body.spec === undefined ? null : normaliseSpec(body.spec, body.name);
  return withTenant(tenantOf(ctx), async (tx) => {
    const current = await tx.$queryRaw<{ name: string; mode: RuleMode; version: number }[]>`
      SELECT name, mode, version FROM alert_rules WHERE org_id = ${ctx.org.id}::uuid AND id = ${id}::uuid FOR UPDATE`;
    const cur = current[0];
    if (!cur) throw notFound("Alert rule");
    if (spec) await assertChannels(tx, ctx.org.id, spec);
    if (body.name !== undefined && body.name !== cur.name) {
      const clash = await tx.$queryRaw<{ id: string }[]>`
        SELECT id::text FROM alert_rules WHERE org_id = ${ctx.org.id}::uuid AND name = ${body.name} AND id <> ${id}::uuid`;
      if (clash.length > 0) throw new AppError("conflict", `A rule named "${body.name}" already exists`);
    }
    const version = spec ? cur.version + 1 : cur.version;
    if (spec) {
      await tx.$executeRaw`
        INSERT INTO alert_rule_versions (org_id, rule_id, version, spec, created_by_user_id)
        VALUES (${ctx.org.id}::uuid, ${id}::uuid, ${version}, ${JSON.stringify(spec)}::jsonb, ${userIdOf(ctx)}::uuid)`;
      // A new version starts with fresh windows: old group state was counted under other conditions.
      await tx.$executeRaw`DELETE FROM alert_groups WHERE org_id = ${ctx.org.id}::uuid AND rule_id = ${id}::uuid`;
    }
    const mode = body.mode ?? cur.mode;
    await tx.$executeRaw`
      UPDATE alert_rules SET name = ${body.name ?? cur.name}, mode = ${mode}, version = ${version}, updated_at = now()
      WHERE org_id = ${ctx.org.id}::uuid AND id = ${id}::uuid`;
    if (mode !== "disabled") await ensureCursor(tx, ctx.org.id);
    const [view] = await selectRules(tx, ctx.org.id, id);
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "alert_rule.updated",
      target: { type: "alert_rule", id },
      ip: ctx.ip,
      data: {
        name: body.name ?? cur.name,
        mode_from: cur.mode,
        mode,
        version,
        ...(spec ? { spec } : {}),
      },
    });
    return view!;
  });
}
