import { withTenant } from "../db/tenant";
import { AppError } from "../errors";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { canonicalEvent, chainHash } from "./event";
import { chainedEventOf } from "./event-row";
import { toCheckpointView, type CheckpointView } from "./checkpoint-view";
import { actorLabels, type AuditEventView } from "./list-events";
import { hashLeaf, verifyInclusionProof } from "./merkle";
import { inclusionProofs } from "./merkle-store";

export type AuditEventDetail = AuditEventView & {
  /** The exact UTF-8 text hashed (RFC 8785 canonical JSON of `event`). */
  canonical: string;
  /** SHA-256(prev_hash ‖ canonical), recomputed now. */
  recomputed_hash: string;
  hash_matches: boolean;
  /** Whether prev_hash equals the previous event's hash (true for seq 1 when it is the genesis hash). */
  linked: boolean;
  /** An inclusion proof against the newest checkpoint that covers this event, when there is one. */
  inclusion: { checkpoint: CheckpointView; leaf_index: number; audit_path: string[]; leads_to_root: boolean } | null;
};

/** GET /api/v1/audit/events/{seq}: one event with its canonical bytes, hash check and inclusion proof. */
export async function getAuditEvent(ctx: OrgContext, seq: number): Promise<AuditEventDetail> {
  assertCan(ctx, "audit:read");
  const orgId = ctx.org.id;
  return withTenant(tenantOf(ctx), async (tx) => {
    const row = await tx.auditEvent.findUnique({ where: { orgId_seq: { orgId, seq: BigInt(seq) } } });
    if (!row) throw new AppError("not_found", "Audit event not found");
    const e = chainedEventOf(row);
    const canonical = canonicalEvent(e.event);
    const recomputed = chainHash(e.prev_hash, canonical);
    const previous =
      seq === 1
        ? null
        : await tx.auditEvent.findUnique({
            where: { orgId_seq: { orgId, seq: BigInt(seq - 1) } },
            select: { hash: true },
          });
    const linked = seq === 1 ? e.prev_hash === "0".repeat(64) : previous?.hash === e.prev_hash;
    // The newest checkpoint covering the event that the log still reaches (a
    // checkpoint beyond the head means a truncated log: verify names that).
    const head = await tx.auditHead.findUnique({ where: { orgId }, select: { seq: true } });
    const cpRow = await tx.auditCheckpoint.findFirst({
      where: { orgId, treeSize: { gte: BigInt(seq), lte: head?.seq ?? BigInt(0) } },
      orderBy: [{ treeSize: "desc" }, { createdAt: "desc" }],
    });
    let inclusion: AuditEventDetail["inclusion"] = null;
    if (cpRow) {
      const checkpoint = toCheckpointView(cpRow);
      try {
        const paths = await inclusionProofs(tx, orgId, checkpoint.tree_size, [seq]);
        const auditPath = paths.get(seq)!;
        const leadsToRoot = verifyInclusionProof({
          leafHash: hashLeaf(Buffer.from(e.hash, "hex")),
          index: seq - 1,
          treeSize: checkpoint.tree_size,
          proof: auditPath.map((h) => Buffer.from(h, "hex")),
          root: Buffer.from(checkpoint.root_hash, "hex"),
        });
        inclusion = { checkpoint, leaf_index: seq - 1, audit_path: auditPath, leads_to_root: leadsToRoot };
      } catch (err) {
        // A log with a missing event has no proof to give; the event itself is still shown.
        if (!(err instanceof AppError && err.code === "conflict")) throw err;
      }
    }
    const labels = await actorLabels(tx, orgId, [e.event]);
    return {
      ...e,
      actor_label: e.event.actor.id ? (labels.get(e.event.actor.id) ?? null) : null,
      request_id: row.requestId,
      canonical,
      recomputed_hash: recomputed,
      hash_matches: recomputed === e.hash,
      linked,
      inclusion,
    };
  });
}
