import { appendAuditEvents, type AuditInput } from "../audit/append-event";
import { consumeStepUp } from "../auth/step-up";
import { canonicalJson, type JsonValue } from "../json";
import { sha256Hex } from "../security/hash";
import { rawSql } from "../db/sql";
import { metrics } from "../metrics";
import { riskAtLeast } from "../policy/schemas";
import { withTenant } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { parseOr422 } from "../validation";
import { assertCan, type OrgContext } from "../rbac/context";
import { closePendingApprovals } from "../actions/close-pending";
import { notifyActionChanged } from "../actions/notify";
import { decideApprovalSchema } from "./schemas";

/** The organization's rule (settings: every approval / high risk and above / none). */
export function stepUpRequired(rule: string, risk: string): boolean {
  if (rule === "every") return true;
  if (rule === "none") return false;
  return riskAtLeast(risk, "high");
}

export type DecisionResult = {
  approval: { id: string; status: string; required: number; approvals: number };
  action: { id: string; status: string };
};

/**
 * One approver's decision on a pending approval. Decided by people only
 * (never an API key), never by the person who created the API key the agent
 * used (separation of duties), at most once per person, and only while the
 * approval is pending and unexpired. The decision is bound to the action's
 * payload hash; a caller may pass the hash it reviewed and is refused if the
 * action is not that payload. A rejection closes the approval; approvals close
 * it once the quorum of distinct approvers is reached.
 */
export async function decideApproval(
  ctx: OrgContext,
  approvalId: string,
  decision: "approved" | "rejected",
  raw: unknown,
  stepUpId: string | null = null,
): Promise<DecisionResult> {
  assertCan(ctx, "approvals:decide");
  if (ctx.principal.kind !== "user") throw new AppError("forbidden", "Approvals are decided by people, not API keys");
  const user = ctx.principal.user;
  const input = parseOr422(decideApprovalSchema, raw ?? {});

  const outcome = await withTenant({ orgId: ctx.org.id, userId: user.userId }, async (tx) => {
    const sql = rawSql(tx);
    const [ap] = await sql.query<{
      id: string;
      action_id: string;
      status: string;
      approvals_required: number;
      payload_hash: string;
      expires_at: Date;
      created_at: Date;
      key_creator: string | null;
      risk_level: string;
      step_up_approvals: string;
    }>(
      `SELECT ap.id, ap.action_id, ap.status, ap.approvals_required, ap.payload_hash, ap.expires_at, ap.created_at,
              k.created_by_user_id AS key_creator, a.risk_level, o.step_up_approvals
       FROM approvals ap JOIN actions a ON a.id = ap.action_id JOIN api_keys k ON k.id = a.api_key_id
       JOIN organizations o ON o.id = ap.org_id
       WHERE ap.id = $1 FOR UPDATE OF ap`,
      [approvalId],
      "approval_lock_v3",
    );
    if (!ap) throw notFound("Approval");
    if (ap.status === "pending" && ap.expires_at.getTime() <= Date.now()) {
      await closePendingApprovals(sql, ctx.org.id, { as: "expired", actionId: ap.action_id });
      return { kind: "expired" as const };
    }
    if (ap.status !== "pending") throw new AppError("conflict", `This approval is already ${ap.status}`);
    if (ap.key_creator === user.userId) {
      throw new AppError(
        "forbidden",
        "You created the API key this agent used; another approver must decide (separation of duties)",
      );
    }
    if (input.payload_hash && input.payload_hash !== ap.payload_hash) {
      throw new AppError("conflict", "The action's payload is not the one you reviewed; reload and review it again");
    }
    // Step-up bound to this approval and payload (lib/auth/step-up.ts), by the
    // organization's rule, for anyone with a factor to step up with (the MFA
    // policy decides whether approvers must have one); a grant presented
    // voluntarily is recorded too.
    const required = stepUpRequired(ap.step_up_approvals, ap.risk_level) && user.factors.length > 0;
    const evidence =
      required || stepUpId
        ? await consumeStepUp(tx, user, stepUpId, {
            purpose: "approval.decide",
            targetId: ap.id,
            payloadHash: ap.payload_hash,
          })
        : null;
    const mfa = evidence?.method === "webauthn";
    const mfaMethod = evidence?.method ?? null;
    const evidenceSha256 = evidence ? sha256Hex(canonicalJson(evidence as unknown as JsonValue)) : null;
    const inserted = await sql.query(
      `INSERT INTO approval_decisions (org_id, approval_id, approver_id, decision, reason, mfa, payload_hash, mfa_evidence)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
       ON CONFLICT (org_id, approval_id, approver_id) DO NOTHING
       RETURNING id`,
      [
        ctx.org.id,
        ap.id,
        user.userId,
        decision,
        input.reason,
        mfa,
        ap.payload_hash,
        evidence ? JSON.stringify(evidence) : null,
      ],
      "approval_decision_insert_v2",
    );
    if (inserted.length === 0) throw new AppError("conflict", "You have already decided on this approval");

    const [{ approvals }] = (await sql.query<{ approvals: number }>(
      "SELECT count(*)::int AS approvals FROM approval_decisions WHERE approval_id = $1 AND decision = 'approved'",
      [ap.id],
      "approval_count",
    )) as [{ approvals: number }];
    const final = decision === "rejected" ? "rejected" : approvals >= ap.approvals_required ? "approved" : null;
    const events: AuditInput[] = [
      {
        orgId: ctx.org.id,
        actor: { type: "user", id: user.userId },
        action: decision === "approved" ? "approval.approved" : "approval.rejected",
        target: { type: "action", id: ap.action_id },
        ip: ctx.ip,
        data: {
          approval_id: ap.id,
          approver_id: user.userId,
          decision,
          reason: input.reason,
          mfa,
          mfa_method: mfaMethod,
          mfa_evidence_sha256: evidenceSha256,
          payload_hash: ap.payload_hash,
        },
      },
    ];
    let actionStatus = "pending";
    if (final) {
      await sql.query(
        "UPDATE approvals SET status = $2, decided_at = now() WHERE id = $1",
        [ap.id, final],
        "approval_close",
      );
      await sql.query(
        "UPDATE actions SET status = $2::action_status, updated_at = now() WHERE id = $1",
        [ap.action_id, final],
        "action_close",
      );
      actionStatus = final;
      events.push({
        orgId: ctx.org.id,
        actor: { type: "system", id: null },
        action: final === "approved" ? "action.approved" : "action.rejected",
        target: { type: "action", id: ap.action_id },
        data: { approval_id: ap.id, approvals, approvals_required: ap.approvals_required },
      });
    }
    await appendAuditEvents(sql, events);
    await notifyActionChanged(sql, [ap.action_id]);
    return {
      kind: "decided" as const,
      requestedAt: ap.created_at,
      result: {
        approval: { id: ap.id, status: final ?? "pending", required: ap.approvals_required, approvals },
        action: { id: ap.action_id, status: actionStatus },
      },
    };
  });
  if (outcome.kind === "expired") throw new AppError("conflict", "This approval has expired");
  const status = outcome.result.approval.status;
  if (status === "approved" || status === "rejected") {
    metrics().approvalWait.observe({ outcome: status }, (Date.now() - outcome.requestedAt.getTime()) / 1000);
  }
  return outcome.result;
}
