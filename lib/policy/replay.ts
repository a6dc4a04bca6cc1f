import { z } from "zod";
import { decideAction, type ActionDecision } from "./decide";
import { encryptionKeyring } from "../config/crypto";
import { withTenant } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { parseOr422 } from "../validation";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { decrypt } from "../security/keyring";
import { compileStoredPolicy } from "./compile";
import { cooperative } from "./cel/cost";
import { policyInputSchema } from "./schemas";
import { readRegistries } from "./tool-registry";

export const replaySchema = z.strictObject({ limit: z.number().int().min(1).max(1000).default(100) });

export type ReplayChange = {
  action_id: string;
  created_at: string;
  agent: string;
  tool: string;
  operation: string;
  params: unknown;
  before: { effect: string; risk_level: string; rule: string | null; policy_version: number | null };
  after: { effect: string; risk_level: string; rule: string | null; reason: string };
};

export type ReplayResult = {
  version: number;
  evaluated: number;
  changed: ReplayChange[];
  unchanged: number;
  /** Actions whose parameters retention already removed: they cannot be re-evaluated. */
  skipped_payload_expired: number;
};

/**
 * Evaluates a policy version against the organization's last N recorded
 * actions (the original parameters, decrypted in memory only, with each
 * agent's current tool registry) and reports which decisions would change.
 * Nothing is written.
 */
export async function replayPolicy(ctx: OrgContext, version: number, raw: unknown): Promise<ReplayResult> {
  assertCan(ctx, "policies:write");
  const { limit } = parseOr422(replaySchema, raw ?? {});
  const { target, actions } = await withTenant(tenantOf(ctx), async (tx) => {
    const target = await tx.policyVersion.findUnique({ where: { orgId_version: { orgId: ctx.org.id, version } } });
    if (!target) throw notFound("Policy version");
    const actions = await tx.action.findMany({
      where: { orgId: ctx.org.id },
      orderBy: { createdAt: "desc" },
      take: limit,
      include: { agent: true },
    });
    return { target, actions };
  });
  // A stored version: no static ceiling (it was admitted when saved), each evaluation under the runtime budget.
  const stored = policyInputSchema.safeParse({ rules: target.rules });
  if (!stored.success)
    throw new AppError("internal", "A stored policy version does not parse", { cause: stored.error });
  const compiled = compileStoredPolicy(stored.data.rules);
  const pause = cooperative();
  const keyring = encryptionKeyring();
  const changed: ReplayChange[] = [];
  let skipped = 0;
  for (const a of actions) {
    await pause();
    if (!a.paramsEncrypted) {
      skipped++;
      continue;
    }
    const payload = JSON.parse(decrypt(keyring, a.paramsEncrypted, a.id)) as {
      params: Record<string, unknown>;
      context: Record<string, unknown>;
    };
    const decision: ActionDecision = decideAction({
      registry: readRegistries(a.agent.toolRegistry)[a.agent.environment],
      policy: compiled,
      policyVersion: version,
      input: {
        agent: { slug: a.agent.slug, name: a.agent.name, environment: a.agent.environment },
        tool: a.tool,
        operation: a.operation,
        params: payload.params ?? {},
        context: payload.context ?? {},
        env: a.agent.environment,
      },
    });
    const beforeRule = a.ruleName;
    const afterRule = decision.rule?.name ?? null;
    if (decision.effect !== a.effect || decision.risk_level !== a.riskLevel || afterRule !== beforeRule) {
      changed.push({
        action_id: a.id,
        created_at: a.createdAt.toISOString(),
        agent: a.agent.slug,
        tool: a.tool,
        operation: a.operation,
        params: a.paramsRedacted,
        before: { effect: a.effect, risk_level: a.riskLevel, rule: beforeRule, policy_version: a.policyVersion },
        after: { effect: decision.effect, risk_level: decision.risk_level, rule: afterRule, reason: decision.reason },
      });
    }
  }
  const evaluated = actions.length - skipped;
  return { version, evaluated, changed, unchanged: evaluated - changed.length, skipped_payload_expired: skipped };
}
