import { createHash } from "node:crypto";
import { appendAuditEvent } from "../audit/append-event";
import type { CheckpointView } from "../audit/checkpoint-view";
import { auditHeadSeq, insertCheckpoint } from "../audit/create-checkpoint";
import { eventsAboutAction } from "../audit/action-events";
import { fillMerkleCache, inclusionProofs } from "../audit/merkle-store";
import { signingKeyring } from "../audit/signing-keyring";
import { withTenant, type Tx } from "../db/tenant";
import { AppError } from "../errors";
import { canonicalJson } from "../json";
import { sha256Hex } from "../security/hash";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { buildProofPack, zipProofPack, type PackEvent } from "./build";

/**
 * GET /api/v1/proof-pack/{actionId}: the proof pack of one action
 * (docs/proof-pack-format.md, "Producing a pack").
 *
 * 1. The log's committed size n is read, and the Merkle cache filled up to it
 *    (transactions of its own).
 * 2. One tenant transaction: the action, its decision and approval decisions,
 *    the audit events about it up to seq n; a checkpoint of the first n events
 *    signed now and stored (reason proof_pack); inclusion proofs from the
 *    cache; the pack built (the builder runs the verifier and refuses a pack
 *    that would not verify: 409) and zipped; then `audit.proof_pack_exported`,
 *    last. A refused pack leaves no checkpoint and no event behind.
 *
 * Only this action's rows and the events naming it go in; row-level security
 * keeps the whole transaction inside the caller's organization, so another
 * organization's action id is simply not found (404).
 */

export type ExportedPack = { zip: Uint8Array; filename: string; sha256: string; checkpoint: CheckpointView };

async function loadAction(tx: Tx, orgId: string, actionId: string) {
  return tx.action.findFirst({
    where: { orgId, id: actionId },
    include: {
      agent: { select: { slug: true, environment: true } },
      approval: {
        include: { decisions: { include: { approver: { select: { email: true } } }, orderBy: { createdAt: "asc" } } },
      },
    },
  });
}

type LoadedAction = NonNullable<Awaited<ReturnType<typeof loadAction>>>;

/** action.json: the action as recorded (redacted parameters; nothing at all once retention expired them). */
function actionFile(a: LoadedAction): Record<string, unknown> {
  return {
    id: a.id,
    org_id: a.orgId,
    agent_id: a.agentId,
    agent_slug: a.agent.slug,
    environment: a.agent.environment,
    api_key_id: a.apiKeyId,
    tool: a.tool,
    operation: a.operation,
    params: a.paramsRedacted,
    context: a.contextRedacted,
    redacted_paths: a.redactedPaths,
    payload_hash: a.payloadHash,
    payload_bytes: a.payloadBytes,
    payload_expired_at: a.payloadExpiredAt?.toISOString() ?? null,
    status: a.status,
    result: a.result,
    error: a.error,
    executed_at: a.executedAt?.toISOString() ?? null,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}

/** decision.json: what the action.decided event recorded, in the same shape. */
function decisionFile(a: LoadedAction): Record<string, unknown> {
  return {
    effect: a.effect,
    risk_level: a.riskLevel,
    reason: a.reason,
    policy_version: a.policyVersion,
    rule: a.ruleIndex === null ? null : { index: a.ruleIndex, name: a.ruleName, condition: a.ruleCondition },
    decided_by: a.decidedBy,
    decided_at: a.createdAt.toISOString(),
  };
}

/** approvals.json: one entry per approver's decision. */
function approvalsFile(a: LoadedAction): Record<string, unknown>[] {
  if (!a.approval) return [];
  return a.approval.decisions.map((d) => ({
    approval_id: a.approval!.id,
    approver_id: d.approverId,
    approver_email: d.approver.email,
    decision: d.decision,
    reason: d.reason,
    mfa: d.mfa,
    // What the step-up proves (docs/proof-pack-format.md): a passkey's
    // assertion over this approval's payload hash, or that a TOTP step was used.
    ...(d.mfaEvidence
      ? {
          mfa_method: (d.mfaEvidence as { method?: string }).method ?? null,
          mfa_evidence_sha256: sha256Hex(canonicalJson(d.mfaEvidence)),
          mfa_evidence: d.mfaEvidence,
        }
      : {}),
    decided_at: d.createdAt.toISOString(),
  }));
}

/**
 * `authorize` runs first in the pack's transaction (the caller's step-up,
 * lib/exports/proof-pack.ts, consumed with the export: a refused pack leaves
 * the grant unused); what it returns is recorded in the export's event.
 */
export type PackAuthorizer = (tx: Tx) => Promise<Record<string, unknown>>;

export async function exportProofPack(
  ctx: OrgContext,
  actionId: string,
  authorize: PackAuthorizer,
): Promise<ExportedPack> {
  assertCan(ctx, "audit:export");
  const orgId = ctx.org.id;
  const exists = await withTenant(tenantOf(ctx), (tx) =>
    tx.action.findFirst({ where: { orgId, id: actionId }, select: { id: true } }),
  );
  if (!exists) throw new AppError("not_found", "Action not found");

  const size = await auditHeadSeq(orgId);
  await fillMerkleCache(orgId, size);

  return withTenant(
    tenantOf(ctx),
    async (tx) => {
      const authorized = await authorize(tx);
      const action = await loadAction(tx, orgId, actionId);
      if (!action) throw new AppError("not_found", "Action not found");
      const events: PackEvent[] = await eventsAboutAction(tx, orgId, actionId, size);
      if (events.length === 0) {
        throw new AppError(
          "conflict",
          "The audit log has no events about this action, so no proof pack can be produced",
        );
      }
      const checkpoint = await insertCheckpoint(tx, orgId, size, "proof_pack");
      const seqs = events.map((e) => e.seq);
      const paths = await inclusionProofs(tx, orgId, size, seqs);
      const files = buildProofPack(
        {
          orgId,
          actionId,
          action: actionFile(action),
          decision: decisionFile(action),
          approvals: approvalsFile(action),
          events,
          checkpoint: checkpoint.signed,
          checkpointNote: checkpoint.note!,
          proofs: { inclusionProofs: seqs.map((seq) => ({ seq, audit_path: paths.get(seq)! })) },
        },
        signingKeyring(),
      );
      const zip = zipProofPack(files);
      const sha256 = createHash("sha256").update(zip).digest("hex");
      await appendAuditEvent(tx, {
        orgId,
        actor: actorOf(ctx),
        action: "audit.proof_pack_exported",
        target: { type: "action", id: actionId },
        ip: ctx.ip,
        data: {
          checkpoint_id: checkpoint.id,
          tree_size: checkpoint.tree_size,
          root_hash: checkpoint.root_hash,
          key_id: checkpoint.key_id,
          events: events.length,
          bytes: zip.length,
          sha256,
          ...authorized,
        },
      });
      return { zip, filename: `warden-proof-pack-${actionId}.zip`, sha256, checkpoint };
    },
    { timeoutMs: 60_000 },
  );
}
