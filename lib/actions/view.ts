import type { Action, Approval, ApprovalDecision } from "../db/generated/client";

export type ApprovalDecisionView = {
  approver_id: string;
  approver_email: string | null;
  decision: string;
  reason: string;
  mfa: boolean;
  decided_at: string;
};

export type ActionView = {
  id: string;
  agent: { id: string; slug: string | null };
  api_key_id: string;
  tool: string;
  operation: string;
  /** Redacted for display; null once retention removed the payload. */
  params: unknown;
  context: unknown;
  redacted_paths: string[];
  payload_hash: string;
  payload_expired: boolean;
  status: Action["status"];
  decision: string;
  risk_level: string;
  reason: string;
  decided_by: string;
  rule: { index: number; name: string | null; condition: string | null } | null;
  policy_version: number | null;
  approval: {
    id: string;
    status: string;
    required: number;
    approvals: number;
    expires_at: string;
    decided_at: string | null;
    decisions: ApprovalDecisionView[];
  } | null;
  result: unknown;
  error: string | null;
  executed_at: string | null;
  created_at: string;
  updated_at: string;
};

type Loaded = Action & {
  agent?: { slug: string } | null;
  approval?: (Approval & { decisions: (ApprovalDecision & { approver?: { email: string } | null })[] }) | null;
};

export function toActionView(a: Loaded): ActionView {
  const ap = a.approval ?? null;
  return {
    id: a.id,
    agent: { id: a.agentId, slug: a.agent?.slug ?? null },
    api_key_id: a.apiKeyId,
    tool: a.tool,
    operation: a.operation,
    params: a.paramsRedacted,
    context: a.contextRedacted,
    redacted_paths: a.redactedPaths,
    payload_hash: a.payloadHash,
    payload_expired: a.payloadExpiredAt !== null,
    status: a.status,
    decision: a.effect,
    risk_level: a.riskLevel,
    reason: a.reason,
    decided_by: a.decidedBy,
    rule: a.ruleIndex === null ? null : { index: a.ruleIndex, name: a.ruleName, condition: a.ruleCondition },
    policy_version: a.policyVersion,
    approval: ap
      ? {
          id: ap.id,
          status: ap.status,
          required: ap.approvalsRequired,
          approvals: ap.decisions.filter((d) => d.decision === "approved").length,
          expires_at: ap.expiresAt.toISOString(),
          decided_at: ap.decidedAt?.toISOString() ?? null,
          decisions: ap.decisions.map((d) => ({
            approver_id: d.approverId,
            approver_email: d.approver?.email ?? null,
            decision: d.decision,
            reason: d.reason,
            mfa: d.mfa,
            decided_at: d.createdAt.toISOString(),
          })),
        }
      : null,
    result: a.result,
    error: a.error,
    executed_at: a.executedAt?.toISOString() ?? null,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}

export const ACTION_INCLUDE = {
  agent: { select: { slug: true } },
  approval: {
    include: {
      decisions: { include: { approver: { select: { email: true } } }, orderBy: { createdAt: "asc" as const } },
    },
  },
} as const;
