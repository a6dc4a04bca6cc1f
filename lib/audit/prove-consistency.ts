import { withTenant, type Tx } from "../db/tenant";
import { AppError } from "../errors";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { toCheckpointView, type CheckpointView } from "./checkpoint-view";
import { auditHeadSeq } from "./create-checkpoint";
import { consistencyProof, fillMerkleCache, merkleRoot } from "./merkle-store";
import type { ConsistencyQuery } from "./schemas";

export type TreeHead = { tree_size: number; root_hash: string; checkpoint: CheckpointView | null };
export type ConsistencyView = { from: TreeHead; to: TreeHead; proof: string[] };

type End = { checkpointId: string } | { size: number };

async function checkpointById(tx: Tx, orgId: string, id: string): Promise<CheckpointView> {
  const row = await tx.auditCheckpoint.findFirst({ where: { orgId, id } });
  if (!row) throw new AppError("not_found", "Checkpoint not found");
  return toCheckpointView(row);
}

function rangeError(message: string, path: "from" | "to" = "to"): AppError {
  return new AppError("validation_failed", "The query string is invalid", { errors: [{ path, message }] });
}

/**
 * GET /api/v1/audit/consistency: an RFC 6962 consistency proof that the log
 * at `from` (a checkpoint or a tree size) is a prefix of the log at `to`
 * (default: the newest checkpoint, or the current log when there is none).
 * With checkpoints at both ends, the two signatures and the proof together
 * show that the log only grew between them. The roots of plain sizes are
 * computed now and are not signed.
 */
export async function proveConsistency(ctx: OrgContext, query: ConsistencyQuery): Promise<ConsistencyView> {
  assertCan(ctx, "audit:read");
  const orgId = ctx.org.id;
  const head = await auditHeadSeq(orgId);

  const resolveEnds = async (tx: Tx) => {
    const end = async (e: End): Promise<{ size: number; checkpoint: CheckpointView | null }> => {
      if ("size" in e) return { size: e.size, checkpoint: null };
      const cp = await checkpointById(tx, orgId, e.checkpointId);
      return { size: cp.tree_size, checkpoint: cp };
    };
    const from = await end(query.from);
    let to: { size: number; checkpoint: CheckpointView | null };
    if (query.to) to = await end(query.to);
    else {
      const latest = await tx.auditCheckpoint.findFirst({
        where: { orgId },
        orderBy: [{ treeSize: "desc" }, { createdAt: "desc" }],
      });
      to = latest
        ? { size: Number(latest.treeSize), checkpoint: toCheckpointView(latest) }
        : { size: head, checkpoint: null };
    }
    // RFC 9162 §2.1.4 needs 0 < from: the empty tree is a prefix of every
    // tree, and an "old root" of size 0 is bound by nothing in the proof.
    if (from.size === 0)
      throw rangeError("a consistency proof starts from a tree of at least 1 event (size 0 proves nothing)", "from");
    if (from.size > to.size)
      throw rangeError(`from (tree size ${from.size}) must not be larger than to (tree size ${to.size})`);
    if (to.size > head) throw rangeError(`the log has ${head} events; tree size ${to.size} does not exist`);
    return { from, to };
  };

  const ends = await withTenant(tenantOf(ctx), resolveEnds);
  await fillMerkleCache(orgId, ends.to.size);
  return withTenant(tenantOf(ctx), async (tx) => {
    const { from, to } = await resolveEnds(tx);
    const fromRoot = from.checkpoint?.root_hash ?? (await merkleRoot(tx, orgId, from.size));
    const toRoot = to.checkpoint?.root_hash ?? (await merkleRoot(tx, orgId, to.size));
    return {
      from: { tree_size: from.size, root_hash: fromRoot, checkpoint: from.checkpoint },
      to: { tree_size: to.size, root_hash: toRoot, checkpoint: to.checkpoint },
      proof: await consistencyProof(tx, orgId, from.size, to.size),
    };
  });
}
