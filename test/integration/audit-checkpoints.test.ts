import { afterAll, describe, expect, it } from "vitest";
import { appendAuditEvent } from "@/lib/audit/append-event";
import { verifyCheckpointWithKeyring } from "@/lib/audit/checkpoint";
import { createCheckpoint, createScheduledCheckpoint, runCheckpointSweep } from "@/lib/audit/create-checkpoint";
import { MerkleTree, verifyConsistencyProof, verifyInclusionProof, hashLeaf } from "@/lib/audit/merkle";
import { CACHE_LEVEL, cacheShape } from "@/lib/audit/merkle-cache";
import { fillMerkleCache, inclusionProofs, merkleRoot } from "@/lib/audit/merkle-store";
import { proveConsistency } from "@/lib/audit/prove-consistency";
import { verifyAuditLog } from "@/lib/audit/verify-audit-log";
import { signingKeyring } from "@/lib/audit/signing-keyring";
import { closeDb } from "@/lib/db/client";
import { lookupOrgsNeedingCheckpoint } from "@/lib/db/lookup";
import { withTenant } from "@/lib/db/tenant";
import { headSeq, seedEvents, tamper } from "../helpers/audit";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg } from "../helpers/fixtures";
import { memberContext } from "../helpers/keys";
import type { AuditEventName } from "@/lib/audit/event-names";

afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function allHashes(orgId: string): Promise<string[]> {
  return (await owner().query(`SELECT hash FROM audit_events WHERE org_id = $1 ORDER BY seq`, [orgId])).rows.map(
    (r) => r.hash as string,
  );
}

async function nodeCount(orgId: string): Promise<number> {
  return (await owner().query(`SELECT count(*)::int AS n FROM audit_merkle_nodes WHERE org_id = $1`, [orgId])).rows[0]
    .n;
}

/** Complete aligned subtrees of at least 256 leaves in a tree of n leaves. */
function expectedNodes(n: number): number {
  return [...cacheShape(Math.floor(n / 256), CACHE_LEVEL).counts.values()].reduce((a, b) => a + b, 0);
}

const buf = (hex: string) => Buffer.from(hex, "hex");

describe("Merkle cache over the database", () => {
  it("roots and proofs from the cache equal the full tree over the events, as the log grows", async () => {
    const t = await createTestOrg("mc");
    await seedEvents(t.org.id, 1300);
    const n1 = await headSeq(t.org.id);
    await fillMerkleCache(t.org.id, n1);
    // 1300+ events: 5 complete chunks of 256 → 5 + 2 + 1 nodes.
    expect(await nodeCount(t.org.id)).toBe(8);
    expect(expectedNodes(n1)).toBe(8);

    const tree1 = MerkleTree.fromEventHashes(await allHashes(t.org.id));
    const picked = [1, 2, 256, 257, 700, n1];
    const { root, proofs } = await withTenant({ orgId: t.org.id }, async (tx) => ({
      root: await merkleRoot(tx, t.org.id, n1),
      proofs: await inclusionProofs(tx, t.org.id, n1, picked),
    }));
    expect(root).toBe(tree1.rootHex);
    for (const seq of picked)
      expect(proofs.get(seq)).toEqual(tree1.inclusionProof(seq - 1).map((h) => h.toString("hex")));

    // Growth: the cache is extended, never rewritten.
    await seedEvents(t.org.id, 600);
    const n2 = await headSeq(t.org.id);
    await fillMerkleCache(t.org.id, n2);
    expect(await nodeCount(t.org.id)).toBe(expectedNodes(n2));
    const tree2 = MerkleTree.fromEventHashes(await allHashes(t.org.id));
    expect(await withTenant({ orgId: t.org.id }, (tx) => merkleRoot(tx, t.org.id, n2))).toBe(tree2.rootHex);
    // And any earlier size is still computable from the grown cache.
    expect(await withTenant({ orgId: t.org.id }, (tx) => merkleRoot(tx, t.org.id, n1))).toBe(tree1.rootHex);
  });

  it("a fill refuses a log with a missing event instead of caching a tree over the gap", async () => {
    const t = await createTestOrg("mcgap");
    await seedEvents(t.org.id, 600);
    await tamper(`DELETE FROM audit_events WHERE org_id = $1 AND seq = 300`, [t.org.id]);
    await expect(fillMerkleCache(t.org.id, await headSeq(t.org.id))).rejects.toMatchObject({ code: "conflict" });
    expect(await nodeCount(t.org.id)).toBe(0);
  });

  it("a cache someone edited by hand is ignored: roots still come from the events", async () => {
    const t = await createTestOrg("mcbad");
    await seedEvents(t.org.id, 800);
    const n = await headSeq(t.org.id);
    await fillMerkleCache(t.org.id, n);
    await owner().query(`DELETE FROM audit_merkle_nodes WHERE org_id = $1 AND level = 8 AND idx = 1`, [t.org.id]);
    const tree = MerkleTree.fromEventHashes(await allHashes(t.org.id));
    expect(await withTenant({ orgId: t.org.id }, (tx) => merkleRoot(tx, t.org.id, n))).toBe(tree.rootHex);
  });
});

describe("checkpoints", () => {
  it("an on-demand checkpoint signs the root of the whole log with the active key and is audited", async () => {
    const t = await createTestOrg("cp");
    await seedEvents(t.org.id, 300);
    const n = await headSeq(t.org.id);
    const cp = await createCheckpoint(memberContext(t, "auditor"));
    expect(cp).toMatchObject({ tree_size: n, reason: "on_demand" });
    expect(cp.root_hash).toBe(MerkleTree.fromEventHashes((await allHashes(t.org.id)).slice(0, n)).rootHex);
    expect(verifyCheckpointWithKeyring(cp.signed, signingKeyring())).toMatchObject({ ok: true });
    const ev = (await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 AND seq = $2`, [t.org.id, n + 1]))
      .rows[0];
    expect(ev).toMatchObject({
      action: "audit.checkpoint_created",
      actor_id: t.users.auditor.id,
      target_type: "audit_checkpoint",
      target_id: cp.id,
    });
    expect(ev.data).toEqual({ tree_size: n, root_hash: cp.root_hash, key_id: cp.key_id, reason: "on_demand" });
  });

  it("a viewer or approver cannot create one", async () => {
    const t = await createTestOrg("cpr");
    await expect(createCheckpoint(memberContext(t, "viewer"))).rejects.toMatchObject({ code: "forbidden" });
    await expect(createCheckpoint(memberContext(t, "approver"))).rejects.toMatchObject({ code: "forbidden" });
  });

  it("scheduled checkpoints write no event, so the organization is not due again until its log grows", async () => {
    const t = await createTestOrg("cps");
    await seedEvents(t.org.id, 10);
    expect(await lookupOrgsNeedingCheckpoint(100_000)).toContain(t.org.id);
    const n = await headSeq(t.org.id);
    const cp = await createScheduledCheckpoint(t.org.id);
    expect(cp).toMatchObject({ tree_size: n, reason: "scheduled" });
    expect(await headSeq(t.org.id)).toBe(n);
    expect(await lookupOrgsNeedingCheckpoint(100_000)).not.toContain(t.org.id);
    expect(await createScheduledCheckpoint(t.org.id)).toBeNull();

    await seedEvents(t.org.id, 1);
    expect(await lookupOrgsNeedingCheckpoint(100_000)).toContain(t.org.id);
  });

  it("the sweep checkpoints every organization whose log grew, and survives one that cannot be checkpointed", async () => {
    const [grew, broken, quiet] = await Promise.all([createTestOrg("swg"), createTestOrg("swb"), createTestOrg("swq")]);
    await createScheduledCheckpoint(quiet.org.id);
    await seedEvents(grew.org.id, 5);
    await seedEvents(broken.org.id, 5);
    await tamper(`DELETE FROM audit_events WHERE org_id = $1 AND seq = 3`, [broken.org.id]);

    const result = await runCheckpointSweep({ limit: 100_000 });
    expect(result.failed).toBeGreaterThanOrEqual(1);
    const reasons = async (orgId: string) =>
      (await owner().query(`SELECT reason, tree_size::int FROM audit_checkpoints WHERE org_id = $1`, [orgId])).rows;
    expect(await reasons(grew.org.id)).toEqual([{ reason: "scheduled", tree_size: await headSeq(grew.org.id) }]);
    expect(await reasons(broken.org.id)).toEqual([]);
    expect(await reasons(quiet.org.id)).toHaveLength(1);
  });

  it("the app role can neither change nor delete a checkpoint or a cached node", async () => {
    const t = await createTestOrg("cpro");
    await createScheduledCheckpoint(t.org.id);
    for (const sql of [
      `UPDATE audit_checkpoints SET root_hash = repeat('a', 64) WHERE org_id = $1`,
      `DELETE FROM audit_checkpoints WHERE org_id = $1`,
      `UPDATE audit_merkle_nodes SET hash = repeat('a', 64) WHERE org_id = $1`,
      `DELETE FROM audit_merkle_nodes WHERE org_id = $1`,
    ]) {
      await expect(withTenant({ orgId: t.org.id }, (tx) => tx.$executeRawUnsafe(sql, t.org.id))).rejects.toThrow(
        /permission denied/,
      );
    }
  });
});

describe("consistency proofs across growth", () => {
  it("prove that the log at an old checkpoint is a prefix of the log at a new one", async () => {
    const t = await createTestOrg("cons");
    const auditor = memberContext(t, "auditor");
    await seedEvents(t.org.id, 700);
    const old = await createCheckpoint(auditor);
    await seedEvents(t.org.id, 2000);
    await withTenant({ orgId: t.org.id }, (tx) =>
      appendAuditEvent(tx, {
        orgId: t.org.id,
        actor: { type: "system", id: null },
        action: "test.after_growth" as AuditEventName,
      }),
    );
    const next = await createCheckpoint(auditor);
    expect(next.tree_size).toBeGreaterThan(old.tree_size + 2000);

    const res = await proveConsistency(auditor, { from: { checkpointId: old.id }, to: { checkpointId: next.id } });
    expect(res.from).toMatchObject({ tree_size: old.tree_size, root_hash: old.root_hash, checkpoint: { id: old.id } });
    expect(res.to).toMatchObject({ tree_size: next.tree_size, root_hash: next.root_hash });
    const args = {
      oldSize: old.tree_size,
      newSize: next.tree_size,
      oldRoot: buf(old.root_hash),
      newRoot: buf(next.root_hash),
    };
    expect(verifyConsistencyProof({ ...args, proof: res.proof.map(buf) })).toBe(true);
    // The proof is the full tree's proof, and it fails for any other old root.
    const tree = MerkleTree.fromEventHashes((await allHashes(t.org.id)).slice(0, next.tree_size));
    expect(res.proof).toEqual(tree.consistencyProof(old.tree_size).map((h) => h.toString("hex")));
    expect(verifyConsistencyProof({ ...args, oldRoot: hashLeaf(buf(old.root_hash)), proof: res.proof.map(buf) })).toBe(
      false,
    );

    // Sizes work too, and default to the newest checkpoint.
    const bySize = await proveConsistency(auditor, { from: { size: 5 } });
    expect(bySize.to.checkpoint?.id).toBe(next.id);
    expect(
      verifyConsistencyProof({
        oldSize: 5,
        newSize: next.tree_size,
        oldRoot: buf(bySize.from.root_hash),
        newRoot: buf(next.root_hash),
        proof: bySize.proof.map(buf),
      }),
    ).toBe(true);
    expect(bySize.from.root_hash).toBe(MerkleTree.fromEventHashes((await allHashes(t.org.id)).slice(0, 5)).rootHex);
  });

  it("a rewritten history cannot be proven consistent with an old checkpoint", async () => {
    const t = await createTestOrg("consx");
    const auditor = memberContext(t, "auditor");
    await seedEvents(t.org.id, 40);
    const old = await createCheckpoint(auditor);
    // Rewrite event 10 and re-chain everything after it, as an owner hiding an edit would.
    await tamper(
      [
        `UPDATE audit_events SET hash = encode(sha256(decode(hash, 'hex')), 'hex') WHERE org_id = $1 AND seq >= 10`,
        `UPDATE audit_heads h SET hash = e.hash FROM audit_events e WHERE h.org_id = $1 AND e.org_id = $1 AND e.seq = h.seq`,
      ],
      [t.org.id],
    );
    const next = await createCheckpoint(auditor);
    const res = await proveConsistency(auditor, { from: { checkpointId: old.id }, to: { checkpointId: next.id } });
    expect(
      verifyConsistencyProof({
        oldSize: old.tree_size,
        newSize: next.tree_size,
        oldRoot: buf(old.root_hash),
        newRoot: buf(next.root_hash),
        proof: res.proof.map(buf),
      }),
    ).toBe(false);
    // And the verifier names the tampering.
    const report = await verifyAuditLog(auditor);
    expect(report.chain).toMatchObject({ ok: false, first_bad_seq: 10 });
  });
});

describe("verification of the chain and the checkpoints", () => {
  it("reports the chain, every checkpoint and the latest one, recomputed from the events", async () => {
    const t = await createTestOrg("ver");
    const auditor = memberContext(t, "auditor");
    await seedEvents(t.org.id, 500);
    const a = await createCheckpoint(auditor);
    await seedEvents(t.org.id, 20);
    const b = await createScheduledCheckpoint(t.org.id);
    const report = await verifyAuditLog(auditor);
    expect(report.chain).toMatchObject({ ok: true, length: b!.tree_size });
    expect(report.checkpoints).toEqual({ total: 2, verified: 2, failed: [] });
    expect(report.latest_checkpoint).toMatchObject({
      id: b!.id,
      signature_valid: true,
      matches_chain: true,
      problem: null,
    });
    expect(a.tree_size).toBeLessThan(b!.tree_size);
  });

  it("a poisoned cache yields a checkpoint the verifier rejects against the events", async () => {
    const t = await createTestOrg("poison");
    const auditor = memberContext(t, "auditor");
    await seedEvents(t.org.id, 600);
    await fillMerkleCache(t.org.id, await headSeq(t.org.id));
    await owner().query(`UPDATE audit_merkle_nodes SET hash = repeat('ab', 32) WHERE org_id = $1`, [t.org.id]);
    const cp = await createCheckpoint(auditor);
    const report = await verifyAuditLog(auditor);
    expect(report.chain.ok).toBe(true);
    expect(report.latest_checkpoint).toMatchObject({ id: cp.id, signature_valid: true, matches_chain: false });
    expect(report.checkpoints.failed.map((f) => f.id)).toEqual([cp.id]);
  });

  it("a truncated log is caught by the chain and by the checkpoint that covered the removed events", async () => {
    const t = await createTestOrg("trunc");
    const auditor = memberContext(t, "auditor");
    await seedEvents(t.org.id, 30);
    const cp = await createScheduledCheckpoint(t.org.id);
    await tamper(
      [
        `DELETE FROM audit_events WHERE org_id = $1 AND seq > 25`,
        `UPDATE audit_heads h SET seq = 25, hash = e.hash FROM audit_events e WHERE h.org_id = $1 AND e.org_id = $1 AND e.seq = 25`,
      ],
      [t.org.id],
    );
    const report = await verifyAuditLog(auditor);
    // The chain alone looks fine once the head is rolled back; the signed checkpoint is what catches it.
    expect(report.chain).toMatchObject({ ok: true, length: 25 });
    expect(report.latest_checkpoint).toMatchObject({ id: cp!.id, matches_chain: false });
    expect(report.latest_checkpoint!.problem).toMatch(/events were removed/);
  });

  it("a stored checkpoint whose signed content was altered fails its signature", async () => {
    const t = await createTestOrg("cpsig");
    const auditor = memberContext(t, "auditor");
    await seedEvents(t.org.id, 3);
    const cp = await createScheduledCheckpoint(t.org.id);
    await owner().query(
      `UPDATE audit_checkpoints SET signed = jsonb_set(signed, '{checkpoint,tree_size}', '2') WHERE id = $1`,
      [cp!.id],
    );
    const report = await verifyAuditLog(auditor);
    expect(report.latest_checkpoint).toMatchObject({ id: cp!.id, signature_valid: false });
    expect(report.latest_checkpoint!.problem).toMatch(/signature/);
  });

  it("inclusion proofs from the cache verify against a stored checkpoint", async () => {
    const t = await createTestOrg("incl");
    await seedEvents(t.org.id, 1000);
    const cp = await createCheckpoint(memberContext(t, "auditor"));
    const hashes = await allHashes(t.org.id);
    const proofs = await withTenant({ orgId: t.org.id }, (tx) =>
      inclusionProofs(tx, t.org.id, cp.tree_size, [1, 512, 999]),
    );
    for (const [seq, path] of proofs) {
      expect(
        verifyInclusionProof({
          leafHash: hashLeaf(buf(hashes[seq - 1]!)),
          index: seq - 1,
          treeSize: cp.tree_size,
          proof: path.map(buf),
          root: buf(cp.root_hash),
        }),
      ).toBe(true);
    }
  });
});
