import { createHash } from "node:crypto";
import { z } from "zod";
import { appendAuditEvent } from "../audit/append-event";
import type { PolicyVersion } from "../db/generated/client";
import { withTenant } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { canonicalJson } from "../json";
import { parseOr422 } from "../validation";
import { actorOf, assertCan, tenantOf, userIdOf, type OrgContext } from "../rbac/context";
import { parseAndCompilePolicy } from "./compile";
import { policyInputSchema } from "./schemas";
import type { PolicyRule } from "./schemas";

/**
 * Policy versions. Every save makes a new draft version; publishing makes a
 * version the organization's one active policy (a published version can be
 * re-activated later: a rollback). Version content never changes: the
 * database refuses it (trigger), which is also what lets compiled policies be
 * cached by version id.
 */
export const createPolicySchema = z.object({
  rules: z.array(z.unknown()),
  description: z.string().trim().max(500).optional(),
});

export const policyVersionParamsSchema = z.object({ version: z.coerce.number().int().min(1).max(1_000_000) });

export type PolicyVersionView = {
  id: string;
  version: number;
  status: "draft" | "published";
  active: boolean;
  description: string | null;
  rules: PolicyRule[];
  rule_count: number;
  rules_sha256: string;
  created_at: string;
  created_by: string | null;
  published_at: string | null;
  /** Who first published it (a re-activation is recorded in the audit trail, not here). */
  published_by: string | null;
};

const rulesHash = (rules: unknown) =>
  createHash("sha256")
    .update(canonicalJson(rules ?? null))
    .digest("hex");

export function toPolicyView(
  p: PolicyVersion,
  createdByEmail?: string | null,
  publishedByEmail?: string | null,
): PolicyVersionView {
  const rules = (policyInputSchema.safeParse({ rules: p.rules }).data?.rules ?? []) as PolicyRule[];
  return {
    id: p.id,
    version: p.version,
    status: p.status as "draft" | "published",
    active: p.isActive,
    description: p.description,
    rules,
    rule_count: rules.length,
    rules_sha256: rulesHash(p.rules),
    created_at: p.createdAt.toISOString(),
    created_by: createdByEmail ?? (p.createdByKeyId ? `api key ${p.createdByKeyId.slice(0, 8)}` : null),
    published_at: p.publishedAt?.toISOString() ?? null,
    published_by: publishedByEmail ?? (p.publishedByKeyId ? `api key ${p.publishedByKeyId.slice(0, 8)}` : null),
  };
}

export async function listPolicyVersions(ctx: OrgContext): Promise<PolicyVersionView[]> {
  assertCan(ctx, "policies:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.policyVersion.findMany({
      where: { orgId: ctx.org.id },
      orderBy: { version: "desc" },
      take: 200,
    });
    const ids = [
      ...new Set(rows.flatMap((r) => [r.createdByUserId, r.publishedByUserId]).filter((x): x is string => !!x)),
    ];
    const users = await tx.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } });
    const email = new Map(users.map((u) => [u.id, u.email]));
    const of = (id: string | null) => (id ? (email.get(id) ?? null) : null);
    return rows.map((r) => toPolicyView(r, of(r.createdByUserId), of(r.publishedByUserId)));
  });
}

export async function getPolicyVersion(ctx: OrgContext, version: number | "active"): Promise<PolicyVersionView> {
  assertCan(ctx, "policies:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    const row = await tx.policyVersion.findFirst({
      where: { orgId: ctx.org.id, ...(version === "active" ? { isActive: true } : { version }) },
    });
    if (!row) throw notFound("Policy version");
    return toPolicyView(row);
  });
}

export async function createPolicyDraft(ctx: OrgContext, raw: unknown): Promise<PolicyVersionView> {
  assertCan(ctx, "policies:write");
  const body = parseOr422(createPolicySchema, raw);
  const { rules } = parseAndCompilePolicy({ rules: body.rules });
  return withTenant(tenantOf(ctx), async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`policy-version:${ctx.org.id}`}, 0))`;
    const last = await tx.policyVersion.findFirst({
      where: { orgId: ctx.org.id },
      orderBy: { version: "desc" },
      select: { version: true },
    });
    const row = await tx.policyVersion.create({
      data: {
        orgId: ctx.org.id,
        version: (last?.version ?? 0) + 1,
        rules,
        description: body.description ?? null,
        status: "draft",
        createdByUserId: userIdOf(ctx),
        createdByKeyId: ctx.principal.kind === "api_key" ? ctx.principal.key.id : null,
      },
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "policy.draft_created",
      target: { type: "policy_version", id: row.id },
      ip: ctx.ip,
      data: {
        version: row.version,
        rule_count: rules.length,
        rules_sha256: rulesHash(rules),
        description: row.description,
      },
    });
    return toPolicyView(row);
  });
}

/** Makes a version the active policy: a draft is published, an older published version re-activated. */
export async function publishPolicyVersion(ctx: OrgContext, version: number): Promise<PolicyVersionView> {
  assertCan(ctx, "policies:write");
  return withTenant(tenantOf(ctx), async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`policy-version:${ctx.org.id}`}, 0))`;
    const target = await tx.policyVersion.findUnique({ where: { orgId_version: { orgId: ctx.org.id, version } } });
    if (!target) throw notFound("Policy version");
    if (target.isActive) throw new AppError("conflict", `Version ${version} is already the active policy`);
    // A stored draft was compiled when saved; compile again so a change in the
    // engine can never activate a policy that no longer compiles.
    parseAndCompilePolicy({ rules: target.rules });
    const previous = await tx.policyVersion.findFirst({ where: { orgId: ctx.org.id, isActive: true } });
    if (previous) await tx.policyVersion.update({ where: { id: previous.id }, data: { isActive: false } });
    const now = new Date();
    const row = await tx.policyVersion.update({
      where: { id: target.id },
      data:
        target.status === "draft"
          ? {
              status: "published",
              isActive: true,
              publishedAt: now,
              publishedByUserId: userIdOf(ctx),
              publishedByKeyId: ctx.principal.kind === "api_key" ? ctx.principal.key.id : null,
            }
          : { isActive: true },
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: target.status === "draft" ? "policy.published" : "policy.reactivated",
      target: { type: "policy_version", id: row.id },
      ip: ctx.ip,
      data: { version, previous_version: previous?.version ?? null, rules_sha256: rulesHash(row.rules) },
    });
    return toPolicyView(row);
  });
}
