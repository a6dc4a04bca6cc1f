import { signingKeyring } from "./signing-keyring";
import { withTenant } from "../db/tenant";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { verifyCheckpointWithKeyring } from "./checkpoint";
import { toCheckpointView, type CheckpointView } from "./checkpoint-view";
import { verifyChain } from "./verify-chain";

export type ChainReport =
  | { ok: true; length: number; head_hash: string; verified_at: string }
  | { ok: false; length: number; first_bad_seq: number; reason: string; verified_at: string };

export type CheckpointCheck = {
  id: string;
  tree_size: number;
  /** The Ed25519 signature verifies with a key of the ring valid at its timestamp, and the row says what was signed. */
  signature_valid: boolean;
  /** The root recomputed from the events equals the signed root; null when the chain breaks before this size. */
  matches_chain: boolean | null;
  problem: string | null;
};

export type AuditVerification = {
  chain: ChainReport;
  checkpoints: { total: number; verified: number; failed: CheckpointCheck[] };
  latest_checkpoint: (CheckpointView & CheckpointCheck) | null;
};

/** Failures listed in full up to this many; `total` and `verified` count all. */
const MAX_LISTED_FAILURES = 100;

/**
 * GET /api/v1/audit/verify: recomputes the chain from the events and, in the
 * same pass, the Merkle root at every stored checkpoint's size, then checks
 * each checkpoint's signature. Nothing here reads the Merkle cache: a cache
 * or checkpoint that disagrees with the events is reported, not trusted.
 */
export async function verifyAuditLog(ctx: OrgContext): Promise<AuditVerification> {
  assertCan(ctx, "audit:read");
  const orgId = ctx.org.id;
  const rows = await withTenant(tenantOf(ctx), (tx) =>
    tx.auditCheckpoint.findMany({ where: { orgId }, orderBy: [{ treeSize: "asc" }, { createdAt: "asc" }] }),
  );
  const checkpoints = rows.map(toCheckpointView);
  const chain = await verifyChain(orgId, { rootsAt: checkpoints.map((c) => c.tree_size) });
  const keyring = signingKeyring();

  const checks = checkpoints.map((cp): CheckpointCheck => {
    const sig = verifyCheckpointWithKeyring(cp.signed, keyring);
    const recordOk =
      sig.ok &&
      sig.checkpoint.org_id === orgId &&
      sig.checkpoint.tree_size === cp.tree_size &&
      sig.checkpoint.root_hash === cp.root_hash &&
      sig.checkpoint.key_id === cp.key_id;
    const problems: string[] = [];
    if (!sig.ok) problems.push(`signature: ${sig.message}`);
    else if (!recordOk) problems.push("the stored tree size, root or key differs from what was signed");

    let matches: boolean | null;
    if (cp.tree_size > chain.length) {
      matches = false;
      problems.push(`covers ${cp.tree_size} events but the log now has ${chain.length}: events were removed`);
    } else {
      const root = chain.roots.get(cp.tree_size);
      if (root === undefined) {
        matches = null;
        if (!chain.ok) problems.push(`the chain breaks at #${chain.firstBadSeq}, before this checkpoint's size`);
      } else {
        matches = root === cp.root_hash;
        if (!matches) problems.push(`its root does not match the root recomputed from events 1..${cp.tree_size}`);
      }
    }
    return {
      id: cp.id,
      tree_size: cp.tree_size,
      signature_valid: sig.ok && recordOk,
      matches_chain: matches,
      problem: problems.length > 0 ? problems.join("; ") : null,
    };
  });

  const chainReport: ChainReport = chain.ok
    ? { ok: true, length: chain.length, head_hash: chain.headHash, verified_at: chain.verifiedAt.toISOString() }
    : {
        ok: false,
        length: chain.length,
        first_bad_seq: chain.firstBadSeq,
        reason: chain.reason,
        verified_at: chain.verifiedAt.toISOString(),
      };

  // The newest checkpoint by signing time (the largest is usually the same one).
  let latestIndex = -1;
  checkpoints.forEach((c, i) => {
    if (latestIndex < 0 || c.timestamp > checkpoints[latestIndex]!.timestamp) latestIndex = i;
  });
  const failed = checks.filter((c) => c.problem !== null);
  return {
    chain: chainReport,
    checkpoints: {
      total: checks.length,
      verified: checks.filter((c) => c.signature_valid && c.matches_chain === true).length,
      failed: failed.slice(0, MAX_LISTED_FAILURES),
    },
    latest_checkpoint: latestIndex < 0 ? null : { ...checkpoints[latestIndex]!, ...checks[latestIndex]! },
  };
}
