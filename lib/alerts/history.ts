import { appendAuditEvent } from "../audit/append-event";
import { withTenant } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { parseOr422 } from "../validation";
import { actorOf, assertCan, tenantOf, userIdOf, type OrgContext } from "../rbac/context";
import { describeGroup } from "./engine";
import { createSilenceSchema, firingsQuerySchema } from "./schemas";

export type FiringView = {
  id: string;
  rule_id: string;
  rule_name: string;
  rule_version: number;
  group: string;
  group_key: string;
  outcome: "executed" | "shadow" | "silenced" | "capped";
  status: "firing" | "resolved";
  severity: string;
  summary: string;
  triggering: { seq: number; hash: string }[];
  responses: { type: string; status: string; detail: string }[];
  window_start: string;
  fired_at: string;
  resolved_at: string | null;
};

/** The history timeline: firings newest first, optionally of one rule. */
export async function listFirings(ctx: OrgContext, rawQuery: unknown): Promise<FiringView[]> {
  assertCan(ctx, "alerts:read");
  const q = parseOr422(firingsQuerySchema, rawQuery, "query string");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.$queryRaw<
      {
        id: string;
        rule_id: string;
        rule_name: string;
        rule_version: number;
        group_key: string;
        outcome: FiringView["outcome"];
        status: FiringView["status"];
        severity: string;
        summary: string;
        triggering: FiringView["triggering"];
        responses: FiringView["responses"];
        window_start: Date;
        fired_at: Date;
        resolved_at: Date | null;
      }[]
    >`
      SELECT f.id::text, f.rule_id::text, r.name AS rule_name, f.rule_version, f.group_key, f.outcome, f.status,
             f.severity, f.summary, f.triggering, f.responses, f.window_start, f.fired_at, f.resolved_at
      FROM alert_firings f JOIN alert_rules r ON r.org_id = f.org_id AND r.id = f.rule_id
      WHERE f.org_id = ${ctx.org.id}::uuid AND (${q.rule_id ?? null}::uuid IS NULL OR f.rule_id = ${q.rule_id ?? null}::uuid)
      ORDER BY f.fired_at DESC, f.id LIMIT ${q.limit}`;
    return rows.map((r) => ({
      ...r,
      group: describeGroup(r.group_key),
      window_start: r.window_start.toISOString(),
      fired_at: r.fired_at.toISOString(),
      resolved_at: r.resolved_at?.toISOString() ?? null,
    }));
  });
}

export type SilenceView = {
  id: string;
  rule_id: string | null;
  rule_name: string | null;
  group_key: string | null;
  reason: string;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  ended_at: string | null;
  active: boolean;
};

export async function listSilences(ctx: OrgContext): Promise<SilenceView[]> {
  assertCan(ctx, "alerts:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.$queryRaw<
      {
        id: string;
        rule_id: string | null;
        rule_name: string | null;
        group_key: string | null;
        reason: string;
        email: string | null;
        created_at: Date;
        expires_at: Date;
        ended_at: Date | null;
      }[]
    >`
      SELECT s.id::text, s.rule_id::text, r.name AS rule_name, s.group_key, s.reason, u.email, s.created_at,
             s.expires_at, s.ended_at
      FROM alert_silences s
      LEFT JOIN alert_rules r ON r.org_id = s.org_id AND r.id = s.rule_id
      LEFT JOIN users u ON u.id = s.created_by_user_id
      WHERE s.org_id = ${ctx.org.id}::uuid
      ORDER BY s.created_at DESC LIMIT 100`;
    const now = Date.now();
    return rows.map((r) => ({
      id: r.id,
      rule_id: r.rule_id,
      rule_name: r.rule_name,
      group_key: r.group_key,
      reason: r.reason,
      created_by: r.email,
      created_at: r.created_at.toISOString(),
      expires_at: r.expires_at.toISOString(),
      ended_at: r.ended_at?.toISOString() ?? null,
      active: r.ended_at === null && r.expires_at.getTime() > now,
    }));
  });
}

/** A silence has an owner (a person) and an expiry; both it and its end are audited. */
export async function createSilence(ctx: OrgContext, raw: unknown): Promise<SilenceView> {
  assertCan(ctx, "alerts:write");
  const owner = userIdOf(ctx);
  if (!owner) throw new AppError("forbidden", "A silence needs a person as its owner; API keys cannot create one");
  const body = parseOr422(createSilenceSchema, raw);
  await withTenant(tenantOf(ctx), async (tx) => {
    if (body.rule_id) {
      const r = await tx.$queryRaw<{ id: string }[]>`
        SELECT id::text FROM alert_rules WHERE org_id = ${ctx.org.id}::uuid AND id = ${body.rule_id}::uuid`;
      if (r.length === 0) throw notFound("Alert rule");
    }
    const expires = new Date(Date.now() + body.duration_seconds * 1000);
    const [row] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO alert_silences (org_id, rule_id, group_key, reason, created_by_user_id, expires_at)
      VALUES (${ctx.org.id}::uuid, ${body.rule_id ?? null}::uuid, ${body.group_key ?? null}, ${body.reason}, ${owner}::uuid, ${expires})
      RETURNING id::text`;
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "alert_silence.created",
      target: { type: "alert_silence", id: row!.id },
      ip: ctx.ip,
      data: {
        rule_id: body.rule_id ?? null,
        group_key: body.group_key ?? null,
        reason: body.reason,
        expires_at: expires.toISOString(),
      },
    });
  });
  const all = await listSilences(ctx);
  return all[0]!;
}

export async function endSilence(ctx: OrgContext, id: string): Promise<void> {
  assertCan(ctx, "alerts:write");
  await withTenant(tenantOf(ctx), async (tx) => {
    const n = await tx.$executeRaw`
      UPDATE alert_silences SET ended_at = now(), ended_by_user_id = ${userIdOf(ctx)}::uuid
      WHERE org_id = ${ctx.org.id}::uuid AND id = ${id}::uuid AND ended_at IS NULL`;
    if (n === 0) throw notFound("Active silence");
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "alert_silence.ended",
      target: { type: "alert_silence", id },
      ip: ctx.ip,
      data: {},
    });
  });
}
