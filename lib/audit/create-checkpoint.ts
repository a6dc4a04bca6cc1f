import { signingKeyring } from "./signing-keyring";
import { lookupOrgsNeedingCheckpoint } from "../db/lookup";
import { withTenant, type Tx } from "../db/tenant";
import { log } from "../log";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { appendAuditEvent } from "./append-event";
import { signCheckpoint } from "./checkpoint";
import { signCheckpointNote } from "./checkpoint-note";
import { toCheckpointView, type CheckpointReason, type CheckpointView } from "./checkpoint-view";
import { fillMerkleCache, merkleRoot } from "./merkle-store";

/**
 * Signed tree heads. A checkpoint is made on a schedule (runCheckpointSweep,
 * for every organization whose log grew), on demand (POST
 * /api/v1/audit/checkpoints) and for every proof pack.
 *
 * The Merkle cache is filled first, in transactions of its own; the
 * checkpoint itself is then one short transaction: root from the cache plus
 * the uncached tail, Ed25519 signature, insert.
 *
 * A scheduled checkpoint writes no audit event: the event would grow the log
 * past the checkpoint and make the organization due again at the next sweep,
 * forever. The checkpoint row is itself an append-only, signed record. A
 * checkpoint someone asks for is a person's (or key's) act and is audited.
 */

/** The committed head of the organization's chain. */
export async function auditHeadSeq(orgId: string): Promise<number> {
  const head = await withTenant({ orgId }, (tx) =>
    tx.auditHead.findUnique({ where: { orgId }, select: { seq: true } }),
  );
  return Number(head?.seq ?? 0);
}

/**
 * Signs and stores a checkpoint of the first `size` events inside the
 * caller's transaction. Call fillMerkleCache(orgId, size) beforehand to keep
 * this transaction short (it is correct either way).
 */
export async function insertCheckpoint(
  tx: Tx,
  orgId: string,
  size: number,
  reason: CheckpointReason,
): Promise<CheckpointView> {
  const rootHash = await merkleRoot(tx, orgId, size);
  const keyring = signingKeyring();
  const signed = signCheckpoint(keyring, { org_id: orgId, tree_size: size, root_hash: rootHash });
  const row = await tx.auditCheckpoint.create({
    data: {
      orgId,
      treeSize: BigInt(size),
      rootHash,
      keyId: signed.checkpoint.key_id,
      signed: signed as unknown as object,
      note: signCheckpointNote(keyring, orgId, size, rootHash, new Date(signed.checkpoint.timestamp)),
      reason,
    },
  });
  return toCheckpointView(row);
}

/** A scheduled checkpoint of the organization's current log; null when the newest checkpoint already covers it. */
export async function createScheduledCheckpoint(orgId: string): Promise<CheckpointView | null> {
  const size = await auditHeadSeq(orgId);
  await fillMerkleCache(orgId, size);
  return withTenant({ orgId }, async (tx) => {
    // Two schedulers (several app instances) may pick the same organization.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`warden.checkpoint:${orgId}`}, 0))`;
    const latest = await tx.auditCheckpoint.findFirst({
      where: { orgId },
      orderBy: { treeSize: "desc" },
      select: { treeSize: true },
    });
    if (latest && Number(latest.treeSize) >= size) return null;
    return insertCheckpoint(tx, orgId, size, "scheduled");
  });
}

/** POST /api/v1/audit/checkpoints: a checkpoint now, recorded as `audit.checkpoint_created`. */
export async function createCheckpoint(ctx: OrgContext): Promise<CheckpointView> {
  assertCan(ctx, "audit:export");
  const orgId = ctx.org.id;
  const size = await auditHeadSeq(orgId);
  await fillMerkleCache(orgId, size);
  return withTenant(tenantOf(ctx), async (tx) => {
    const checkpoint = await insertCheckpoint(tx, orgId, size, "on_demand");
    await appendAuditEvent(tx, {
      orgId,
      actor: actorOf(ctx),
      action: "audit.checkpoint_created",
      target: { type: "audit_checkpoint", id: checkpoint.id },
      ip: ctx.ip,
      data: {
        tree_size: checkpoint.tree_size,
        root_hash: checkpoint.root_hash,
        key_id: checkpoint.key_id,
        reason: "on_demand",
      },
    });
    return checkpoint;
  });
}

export type CheckpointSweepResult = { due: number; created: number; failed: number };

/**
 * For the scheduler, every CHECKPOINT_INTERVAL_MINUTES: a checkpoint for each
 * organization whose log grew since its last one. One organization's failure
 * is logged and does not stop the others.
 */
export async function runCheckpointSweep(opts: { limit?: number } = {}): Promise<CheckpointSweepResult> {
  const orgIds = await lookupOrgsNeedingCheckpoint(opts.limit ?? 500);
  let created = 0;
  let failed = 0;
  for (const orgId of orgIds) {
    try {
      if (await createScheduledCheckpoint(orgId)) created += 1;
    } catch (e) {
      failed += 1;
      log().error({ err: e, orgId }, "scheduled audit checkpoint failed");
    }
  }
  return { due: orgIds.length, created, failed };
}
