import { createHash, randomUUID } from "node:crypto";
import { auditAppendStatement, checkAppended, type AuditInput } from "../audit/append-event";
import { encryptionKeyring } from "../config/crypto";
import { withTenantSql } from "../db/sql";
import { AppError } from "../errors";
import { canonicalJson } from "../json";
import { decideAction, type ActionDecision } from "../policy/decide";
import { metrics, secondsSince } from "../metrics";
import { loadCompiledPolicy } from "../policy/policy-cache";
import { POLICY_LIMITS } from "../policy/schemas";
import { readRegistries } from "../policy/tool-registry";
import { parseOr422 } from "../validation";
import { actorOf, type OrgContext, type VerifiedKey } from "../rbac/context";
import { encrypt } from "../security/keyring";
import { consume, rateLimitHeaders, type LimiterSpec, type LimitState } from "../security/rate-limit";
import { redactParams } from "../security/redact";
import { assertDepth, IDEMPOTENCY_KEY_PATTERN, submitActionSchema } from "./schemas";

export type SubmitResponse = {
  id: string;
  status: "allowed" | "denied" | "pending";
  decision: ActionDecision["effect"];
  risk_level: ActionDecision["risk_level"];
  reason: string;
  rule: { index: number; name: string } | null;
  policy_version: number | null;
  approval: { id: string; required: number; expires_at: string } | null;
  agent: { id: string; slug: string };
  payload_hash: string;
  created_at: string;
};

export type SubmitResult = { body: SubmitResponse; replayed: boolean; headers: Record<string, string> };

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");
const canon = (v: unknown) => {
  try {
    return canonicalJson(v);
  } catch (e) {
    throw new AppError("validation_failed", "The body is not serialisable JSON", { cause: e });
  }
};

/**
 * POST /api/v1/actions, the hot path. The agent's identity comes from its key,
 * never from the body. In order: the agent may act (bound, enabled, key in the
 * agent's environment) → input bounds → per-agent rate limit and daily budget →
 * idempotency → tool registry, then the active policy → redact for storage,
 * encrypt the original → one transaction: the action (+ its approval request)
 * and the audit events. The response is sent only after that commit.
 */
export async function submitAction(
  ctx: OrgContext,
  raw: unknown,
  idempotencyKey: string | null,
): Promise<SubmitResult> {
  if (ctx.principal.kind !== "api_key")
    throw new AppError("forbidden", "Actions are submitted with an agent's API key");
  const key = ctx.principal.key;
  const agent = assertAgentMayAct(key);

  if (idempotencyKey !== null && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
    throw new AppError("validation_failed", "Idempotency-Key must be 1-255 printable ASCII characters", {
      errors: [{ path: "Idempotency-Key", message: "1-255 printable ASCII characters" }],
    });
  }
  assertDepth(raw);
  const input = parseOr422(submitActionSchema, raw);
  const headers = await consumeAgentLimits(agent);

  const actionId = randomUUID();
  const approvalId = randomUUID();
  const now = new Date();
  const payloadCanonical = canon({
    tool: input.tool,
    operation: input.operation,
    params: input.params,
    context: input.context,
  });
  const payloadHash = sha256(payloadCanonical);
  const requestHash = idempotencyKey ? sha256(canon(input)) : null;
  const redactedParams = redactParams(input.params, { sensitiveKeys: key.orgSensitiveKeys });
  const redactedContext = redactParams(input.context, { sensitiveKeys: key.orgSensitiveKeys });
  const encrypted = encrypt(encryptionKeyring(), payloadCanonical, actionId);
  if (!key.activePolicy) throw new AppError("internal", "The organization has no active policy");
  const activePolicy = key.activePolicy;

  const outcome = await withTenantSql({ orgId: ctx.org.id }, async (sql) => {
    if (idempotencyKey) {
      const [lock] = await sql.query<{ ok: boolean }>(
        "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS ok",
        [`action:${ctx.org.id}:${agent.id}:${idempotencyKey}`],
        "idem_lock",
      );
      if (!lock?.ok)
        throw new AppError("conflict", "A request with this Idempotency-Key is still being processed; retry shortly");
      const [existing] = await sql.query<{ request_hash: string; response: SubmitResponse }>(
        "SELECT request_hash, response FROM actions WHERE org_id = $1 AND agent_id = $2 AND idempotency_key = $3",
        [ctx.org.id, agent.id, idempotencyKey],
        "idem_existing",
      );
      if (existing) {
        if (existing.request_hash !== requestHash) {
          throw new AppError("validation_failed", "This Idempotency-Key was already used with a different request", {
            errors: [{ path: "Idempotency-Key", message: "reused with a different body" }],
          });
        }
        return { body: existing.response, replayed: true };
      }
    }

    const policy = await loadCompiledPolicy(sql, activePolicy.id);
    const deciding = performance.now();
    const decision = decideAction({
      registry: readRegistries(agent.toolRegistry)[agent.environment],
      policy,
      policyVersion: activePolicy.version,
      input: {
        agent: { slug: agent.slug, name: agent.name, environment: agent.environment },
        tool: input.tool,
        operation: input.operation,
        params: input.params,
        context: input.context,
        env: agent.environment,
      },
    });
    metrics().policyEvaluationDuration.observe(secondsSince(deciding));
    const status = decision.effect === "allow" ? "allowed" : decision.effect === "deny" ? "denied" : "pending";
    const approval =
      decision.effect === "require_approval"
        ? {
            id: approvalId,
            required: decision.approvals_required ?? 1,
            expires_at: new Date(
              now.getTime() + (decision.approval_ttl_seconds ?? POLICY_LIMITS.defaultApprovalTtlSeconds) * 1000,
            ).toISOString(),
          }
        : null;
    const body: SubmitResponse = {
      id: actionId,
      status,
      decision: decision.effect,
      risk_level: decision.risk_level,
      reason: decision.reason,
      rule: decision.rule ? { index: decision.rule.index, name: decision.rule.name } : null,
      policy_version: decision.policy_version,
      approval,
      agent: { id: agent.id, slug: agent.slug },
      payload_hash: payloadHash,
      created_at: now.toISOString(),
    };

    const insert = {
      text: `WITH a AS (
         INSERT INTO actions (id, org_id, agent_id, api_key_id, tool, operation, params_redacted, context_redacted,
                              redacted_paths, params_encrypted, payload_hash, payload_bytes, idempotency_key, request_hash,
                              status, effect, risk_level, reason, decided_by, rule_index, rule_name, rule_condition,
                              policy_version, response, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::action_status, $16, $17, $18, $19,
                 $20, $21, $22, $23, $24, $25, $25)
         RETURNING id
       )
       INSERT INTO approvals (id, org_id, action_id, status, approvals_required, payload_hash, expires_at, created_at)
       SELECT $26, $2, a.id, 'pending', $27, $11, $28, $25 FROM a WHERE $29::boolean`,
      values: [
        actionId,
        ctx.org.id,
        agent.id,
        key.id,
        input.tool,
        input.operation,
        JSON.stringify(redactedParams.redacted),
        JSON.stringify(redactedContext.redacted),
        [...redactedParams.paths.map((p) => `/params${p}`), ...redactedContext.paths.map((p) => `/context${p}`)],
        encrypted,
        payloadHash,
        Buffer.byteLength(payloadCanonical),
        idempotencyKey,
        requestHash,
        status,
        decision.effect,
        decision.risk_level,
        decision.reason,
        decision.decided_by,
        decision.rule?.index ?? null,
        decision.rule?.name ?? null,
        decision.rule?.condition ?? null,
        decision.policy_version,
        JSON.stringify(body),
        now,
        approvalId,
        approval?.required ?? 1,
        approval?.expires_at ?? now,
        approval !== null,
      ],
      name: "action_insert",
    };

    const actor = actorOf(ctx);
    const target = { type: "action", id: actionId };
    const events: AuditInput[] = [
      {
        orgId: ctx.org.id,
        actor,
        action: "action.submitted",
        target,
        ip: ctx.ip,
        data: {
          agent_id: agent.id,
          agent_slug: agent.slug,
          tool: input.tool,
          operation: input.operation,
          payload_hash: payloadHash,
          api_key_id: key.id,
          idempotency_key: idempotencyKey,
        },
      },
      {
        orgId: ctx.org.id,
        actor: { type: "system", id: null },
        action: "action.decided",
        target,
        data: {
          agent_id: agent.id,
          effect: decision.effect,
          risk_level: decision.risk_level,
          reason: decision.reason,
          policy_version: decision.policy_version,
          rule: decision.rule,
          decided_by: decision.decided_by,
        },
      },
    ];
    if (approval) {
      events.push({
        orgId: ctx.org.id,
        actor: { type: "system", id: null },
        action: "approval.requested",
        target,
        data: {
          approval_id: approval.id,
          risk_level: decision.risk_level,
          approvals_required: approval.required,
          expires_at: approval.expires_at,
          payload_hash: payloadHash,
        },
      });
    }
    // The action, its audit events and COMMIT go out together: one round trip.
    const committing = performance.now();
    const [, appended] = await sql.finish([insert, auditAppendStatement(events)]);
    metrics().auditAppendDuration.observe(secondsSince(committing));
    checkAppended(appended!, events.length, ctx.org.id);
    metrics().actionDecisions.inc({
      effect: decision.effect,
      environment: agent.environment,
      decided_by: decision.decided_by,
    });
    return { body, replayed: false };
  });

  return { ...outcome, headers };
}

type ActingAgent = NonNullable<VerifiedKey["agent"]>;

function assertAgentMayAct(key: VerifiedKey): ActingAgent {
  const agent = key.agent;
  if (!agent)
    throw new AppError("forbidden", "This API key is not bound to an agent; bind it to one to submit actions");
  if (agent.disabled) throw new AppError("forbidden", `Agent "${agent.slug}" is disabled`);
  const expected = agent.environment === "production" ? "live" : "test";
  if (key.environment !== expected) {
    throw new AppError("forbidden", `Agent "${agent.slug}" runs in ${agent.environment} and needs a ${expected} key`);
  }
  return agent;
}

/** Per-agent actions per minute and per day; 429 with RateLimit headers when spent. */
async function consumeAgentLimits(agent: ActingAgent): Promise<Record<string, string>> {
  const specs: { name: string; spec: LimiterSpec }[] = [];
  if (agent.rateLimitPerMinute)
    specs.push({
      name: "agent",
      spec: { keyPrefix: "agent-min", points: agent.rateLimitPerMinute, durationSeconds: 60 },
    });
  if (agent.dailyBudget)
    specs.push({
      name: "agent-daily-budget",
      spec: { keyPrefix: "agent-day", points: agent.dailyBudget, durationSeconds: 86_400 },
    });
  if (specs.length === 0) return {};
  const states: LimitState[] = await Promise.all(specs.map((s) => consume(s.spec, agent.id)));
  const headers = rateLimitHeaders(specs.map((s, i) => ({ ...s, state: states[i]! })));
  const hit = specs.find((_, i) => states[i]!.limited);
  if (hit) {
    throw new AppError(
      "rate_limited",
      hit.name === "agent"
        ? "The agent's rate limit is reached; retry after Retry-After"
        : "The agent's daily budget of actions is spent",
      { headers },
    );
  }
  return headers;
}
