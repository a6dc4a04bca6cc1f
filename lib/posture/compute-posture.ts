import { verifyAuditLog } from "../audit/verify-audit-log";
import { rawSql } from "../db/sql";
import { withTenant } from "../db/tenant";
import { compileStoredPolicy, readRegistries } from "../policy";
import type { PolicyRule } from "../policy/schemas";
import { assertCan, can, tenantOf, type OrgContext } from "../rbac/context";
import { buildChecklist, type KeyFacts, type PostureReport, type PostureState } from "./checklist";

/**
 * The rules of a policy whose condition holds for every action: run with no
 * variables bound, a condition that reads anything about the action fails,
 * so one that still comes out true (`true`, `true || tool == "x"`) does not
 * depend on the action at all. Conservative: an always-true condition that
 * reads the action (`env == env`) is not found.
 */
function allowEverything(rules: PolicyRule[]): { index: number; name: string }[] {
  let compiled;
  try {
    compiled = compileStoredPolicy(rules);
  } catch {
    return [];
  }
  return compiled.rules
    .filter((r) => r.effect === "allow")
    .filter((r) => {
      const result = r.compiled.run({});
      return result.ok && result.value === true;
    })
    .map((r) => ({ index: r.index, name: r.name }));
}

async function gatherState(
  ctx: OrgContext,
  now: Date,
): Promise<
  Omit<PostureState, "audit"> & { auditSize: number; latestCheckpoint: PostureState["audit"]["latestCheckpoint"] }
> {
  const orgId = ctx.org.id;
  return withTenant(tenantOf(ctx), async (tx) => {
    // One after another: a transaction is one connection, and pg deprecates overlapping queries on it.
    const org = await tx.organization.findUniqueOrThrow({ where: { id: orgId } });
    // An invitation not yet accepted grants nothing: that person is not a member yet.
    const memberships = await tx.membership.findMany({
      where: { orgId, acceptedAt: { not: null } },
      select: { userId: true, role: true },
    });
    const factors = await rawSql(tx).query<{
      user_id: string;
      totp: boolean;
      passkeys: number;
      recovery_codes_left: number;
    }>("SELECT user_id, totp, passkeys, recovery_codes_left FROM warden_member_factors($1::uuid)", [orgId]);
    const locks = await tx.memberLock.findMany({
      where: { orgId, lockedUntil: { gt: now } },
      select: { userId: true },
    });
    const sso = await tx.ssoConnection.findMany({
      where: { orgId },
      select: { name: true, protocol: true, enabled: true },
    });
    const keys = await tx.apiKey.findMany({
      where: { orgId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
      select: {
        id: true,
        name: true,
        last4: true,
        createdAt: true,
        expiresAt: true,
        lastUsedAt: true,
        ipAllowlist: true,
        createdByUserId: true,
      },
      orderBy: { createdAt: "asc" },
    });
    const policy = await tx.policyVersion.findFirst({
      where: { orgId, isActive: true },
      select: { version: true, rules: true },
    });
    const agents = await tx.agent.findMany({
      where: { orgId },
      select: { slug: true, name: true, disabledAt: true, toolRegistry: true },
      orderBy: { slug: "asc" },
    });
    const rules = await rawSql(tx).query<{ name: string; template: string | null; mode: string; spec: unknown }>(
      `SELECT r.name, r.template, r.mode, v.spec FROM alert_rules r
           JOIN alert_rule_versions v ON v.org_id = r.org_id AND v.rule_id = r.id AND v.version = r.version
          WHERE r.org_id = $1::uuid`,
      [orgId],
    );
    const head = await tx.auditHead.findUnique({ where: { orgId }, select: { seq: true } });
    const checkpoint = await tx.auditCheckpoint.findFirst({
      where: { orgId },
      orderBy: [{ treeSize: "desc" }, { createdAt: "desc" }],
      select: { createdAt: true, treeSize: true },
    });
    const members = new Set(memberships.map((m) => m.userId));
    const locked = new Set(locks.map((l) => l.userId));
    const byUser = new Map(factors.map((f) => [f.user_id, f]));
    const enabled = sso.find((c) => c.enabled) ?? null;
    const rulesJson = Array.isArray(policy?.rules) ? (policy!.rules as unknown as PolicyRule[]) : [];
    return {
      org: {
        id: org.id,
        slug: org.slug,
        name: org.name,
        mfaPolicy: org.mfaPolicy,
        mfaPasskeysOnly: org.mfaPasskeysOnly,
        mfaGraceUntil: org.mfaGraceUntil,
        sessionIdleTimeoutSeconds: org.sessionIdleTimeoutSeconds,
        sessionAbsoluteTimeoutSeconds: org.sessionAbsoluteTimeoutSeconds,
        sensitiveKeys: org.sensitiveKeys,
        httpAllowedDomains: org.httpAllowedDomains,
        httpAllowedPrivateCidrs: org.httpAllowedPrivateCidrs,
        payloadRetentionDays: org.payloadRetentionDays,
      },
      members: memberships.map((m) => {
        const f = byUser.get(m.userId);
        return {
          userId: m.userId,
          role: m.role,
          totp: f?.totp ?? false,
          passkeys: f?.passkeys ?? 0,
          recoveryCodesLeft: f?.recovery_codes_left ?? 0,
        };
      }),
      sso: {
        connections: sso.length,
        enabled: enabled ? { name: enabled.name, protocol: enabled.protocol } : null,
        enforced: org.ssoEnforced,
      },
      keys: keys.map((k): KeyFacts => ({
        id: k.id,
        name: k.name,
        last4: k.last4,
        createdAt: k.createdAt,
        expiresAt: k.expiresAt,
        lastUsedAt: k.lastUsedAt,
        ipAllowlist: k.ipAllowlist,
        creator:
          k.createdByUserId === null || !members.has(k.createdByUserId)
            ? "removed"
            : locked.has(k.createdByUserId)
              ? "locked"
              : "member",
      })),
      policy: policy
        ? { version: policy.version, rules: rulesJson.length, allowEverything: allowEverything(rulesJson) }
        : null,
      agents: agents.map((a) => ({
        slug: a.slug,
        name: a.name,
        disabled: a.disabledAt !== null,
        productionAllowed: [...readRegistries(a.toolRegistry).production.allowed],
      })),
      alertRules: rules.map((r) => {
        const actions = (r.spec as { actions?: unknown } | null)?.actions;
        return {
          name: r.name,
          template: r.template,
          mode: r.mode,
          actions: Array.isArray(actions) ? actions.filter((a): a is string => typeof a === "string") : [],
        };
      }),
      maxSessionsPerMember: undefined,
      auditSize: Number(head?.seq ?? 0n),
      latestCheckpoint: checkpoint ? { createdAt: checkpoint.createdAt, treeSize: Number(checkpoint.treeSize) } : null,
    };
  });
}

/**
 * The organization's security posture now (security:read). The chain is
 * verified from the events (as GET /api/v1/audit/verify does) when the
 * caller may read the audit trail; otherwise that item is not available.
 */
export async function computePosture(ctx: OrgContext, now: Date = new Date()): Promise<PostureReport> {
  assertCan(ctx, "security:read");
  const [state, verification] = await Promise.all([
    gatherState(ctx, now),
    can(ctx, "audit:read") ? verifyAuditLog(ctx) : Promise.resolve(null),
  ]);
  const { auditSize, latestCheckpoint, ...rest } = state;
  return buildChecklist(
    {
      ...rest,
      audit: {
        size: auditSize,
        latestCheckpoint,
        verification: verification && {
          chainOk: verification.chain.ok,
          firstBadSeq: verification.chain.ok ? null : verification.chain.first_bad_seq,
          reason: verification.chain.ok ? null : verification.chain.reason,
          checkpointsTotal: verification.checkpoints.total,
          checkpointsVerified: verification.checkpoints.verified,
        },
      },
    },
    now,
  );
}
