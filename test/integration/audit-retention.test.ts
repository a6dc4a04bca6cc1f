import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as PACK } from "@/app/api/v1/proof-pack/[actionId]/route";
import { createCheckpoint } from "@/lib/audit/create-checkpoint";
import { verifyConsistencyProof } from "@/lib/audit/merkle";
import { proveConsistency } from "@/lib/audit/prove-consistency";
import { expirePayloads, runRetentionSweep } from "@/lib/audit/retention";
import { verifyAuditLog } from "@/lib/audit/verify-audit-log";
import { closeDb } from "@/lib/db/client";
import { lookupOrgsWithExpiredPayloads } from "@/lib/db/lookup";
import { updateOrgSettings } from "@/lib/orgs/settings";
import { verifyProofPackZip } from "@/lib/proof-pack/verify-zip";
import { approvedAction, setUpFirewall, submitAction, type Firewall } from "../helpers/actions";
import { headSeq, lastEvent } from "../helpers/audit";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { callRaw, sessionCookie } from "../helpers/http";
import { memberContext } from "../helpers/keys";

const SECRET = "RETAIN-SECRET-4c1d9e";

let t: TestOrg;
let fw: Firewall;
let old: { id: string };
let oldAllowed: { id: string };
let oldPending: { id: string };
let recent: { id: string };
let packBefore: Uint8Array;
let checkpointBefore: { id: string; tree_size: number; root_hash: string };
let auditorCookie: string;

async function packOf(actionId: string): Promise<Uint8Array> {
  const res = await callRaw(PACK, { cookie: auditorCookie, org: t.org.slug, params: { actionId } });
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

const backdate = (id: string, days: number) =>
  owner().query(`UPDATE actions SET created_at = now() - make_interval(days => $2) WHERE id = $1`, [id, days]);

async function payload(id: string) {
  return (
    await owner().query(
      `SELECT params_redacted, context_redacted, params_encrypted, result, payload_expired_at, payload_hash, status::text FROM actions WHERE id = $1`,
      [id],
    )
  ).rows[0];
}

beforeAll(async () => {
  t = await createTestOrg("ret");
  fw = await setUpFirewall(t);
  auditorCookie = (await sessionCookie(t.users.auditor.id)).cookie;
  old = await approvedAction(t, fw, { params: { amount: 70, memo: SECRET } });
  oldAllowed = await submitAction(fw, "read", { memo: SECRET });
  oldPending = await submitAction(fw, "pay", { memo: SECRET });
  recent = await submitAction(fw, "read", { memo: "recent, kept" });
  for (const a of [old, oldAllowed, oldPending]) await backdate(a.id, 10);
  // Evidence made before expiry: a checkpoint and a proof pack.
  checkpointBefore = await createCheckpoint(memberContext(t, "auditor"));
  packBefore = await packOf(old.id);
  expect(verifyProofPackZip(packBefore).ok).toBe(true);
  expect(Buffer.from(unzipSync(packBefore)["action.json"]!).toString()).toContain(SECRET);
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

describe("payload retention", () => {
  it("does nothing for an organization without a retention period", async () => {
    const seq = await headSeq(t.org.id);
    expect(await expirePayloads(t.org.id)).toEqual({ expired: 0, more: false, retentionDays: null });
    expect(await headSeq(t.org.id)).toBe(seq);
    expect(await lookupOrgsWithExpiredPayloads(100_000)).not.toContain(t.org.id);
    expect((await payload(old.id)).params_redacted).not.toBeNull();
  });

  it("expires the payloads older than the period, keeps in-flight and recent ones, and records one event with the count", async () => {
    await updateOrgSettings(memberContext(t, "admin"), { payload_retention_days: 7 });
    expect(await lookupOrgsWithExpiredPayloads(100_000)).toContain(t.org.id);
    const result = await expirePayloads(t.org.id);
    expect(result).toEqual({ expired: 2, more: false, retentionDays: 7 });

    for (const id of [old.id, oldAllowed.id]) {
      const p = await payload(id);
      expect(p).toMatchObject({ params_redacted: null, context_redacted: null, params_encrypted: null, result: null });
      expect(p.payload_expired_at).toBeInstanceOf(Date);
      expect(p.payload_hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect((await payload(oldPending.id)).params_redacted).not.toBeNull(); // still waiting for its approver
    expect((await payload(recent.id)).params_redacted).not.toBeNull();

    const ev = await lastEvent(t.org.id);
    expect(ev).toMatchObject({
      action: "retention.payloads_expired",
      actor_type: "system",
      target_type: "organization",
      target_id: t.org.id,
    });
    expect(ev.data).toMatchObject({ count: 2, retention_days: 7 });
    expect(Object.keys(ev.data).sort()).toEqual([
      "count",
      "cutoff",
      "newest_created_at",
      "oldest_created_at",
      "retention_days",
    ]);
  });

  it("leaves the parameters nowhere in the organization's actions or audit trail", async () => {
    const inActions = await owner().query(
      `SELECT id FROM actions WHERE org_id = $1 AND id <> $2 AND actions::text LIKE $3`,
      [t.org.id, oldPending.id, `%${SECRET}%`],
    );
    expect(inActions.rows).toEqual([]);
    const inEvents = await owner().query(
      `SELECT seq FROM audit_events WHERE org_id = $1 AND audit_events::text LIKE $2`,
      [t.org.id, `%${SECRET}%`],
    );
    expect(inEvents.rows).toEqual([]);
  });

  it("keeps the chain, the earlier checkpoint and the earlier proof pack verifying", async () => {
    const report = await verifyAuditLog(memberContext(t, "auditor"));
    expect(report.chain.ok).toBe(true);
    expect(report.checkpoints.failed).toEqual([]);
    expect(report.checkpoints.verified).toBe(report.checkpoints.total);
    expect(verifyProofPackZip(packBefore)).toMatchObject({ ok: true });

    // The log only grew across the expiry: the old checkpoint is a prefix of a new one.
    const after = await createCheckpoint(memberContext(t, "auditor"));
    const proof = await proveConsistency(memberContext(t, "auditor"), {
      from: { checkpointId: checkpointBefore.id },
      to: { checkpointId: after.id },
    });
    expect(
      verifyConsistencyProof({
        oldSize: checkpointBefore.tree_size,
        newSize: after.tree_size,
        oldRoot: Buffer.from(checkpointBefore.root_hash, "hex"),
        newRoot: Buffer.from(after.root_hash, "hex"),
        proof: proof.proof.map((h) => Buffer.from(h, "hex")),
      }),
    ).toBe(true);
  });

  it("a proof pack made after expiry verifies and shows the action without its payload", async () => {
    const zip = await packOf(old.id);
    expect(verifyProofPackZip(zip)).toMatchObject({ ok: true });
    const action = JSON.parse(Buffer.from(unzipSync(zip)["action.json"]!).toString());
    expect(action).toMatchObject({ id: old.id, params: null, context: null, result: null });
    expect(action.payload_expired_at).not.toBeNull();
    expect(JSON.stringify(action)).not.toContain(SECRET);
  });

  it("the sweep expires what became due, in every organization that has some, and is quiet otherwise", async () => {
    const other = await createTestOrg("ret2");
    const otherFw = await setUpFirewall(other);
    const a = await submitAction(otherFw, "read", { memo: SECRET });
    await updateOrgSettings(memberContext(other, "admin"), { payload_retention_days: 1 });
    await backdate(a.id, 2);
    const before = await headSeq(t.org.id);
    const swept = await runRetentionSweep({ limit: 100_000 });
    expect(swept.expired).toBeGreaterThanOrEqual(1);
    expect((await payload(a.id)).params_redacted).toBeNull();
    expect((await lastEvent(other.org.id)).data).toMatchObject({ count: 1, retention_days: 1 });
    expect(await headSeq(t.org.id)).toBe(before); // nothing was due there any more
    expect(await lookupOrgsWithExpiredPayloads(100_000)).not.toContain(other.org.id);
  });

  it("expires in batches when there are many", async () => {
    const many = await createTestOrg("ret3");
    const manyFw = await setUpFirewall(many);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submitAction(manyFw, "read", { i })).id);
    for (const id of ids) await backdate(id, 3);
    await updateOrgSettings(memberContext(many, "admin"), { payload_retention_days: 1 });
    expect(await expirePayloads(many.org.id, new Date(), { limit: 2 })).toMatchObject({ expired: 2, more: true });
    expect(await expirePayloads(many.org.id, new Date(), { limit: 2 })).toMatchObject({ expired: 2, more: true });
    expect(await expirePayloads(many.org.id, new Date(), { limit: 2 })).toMatchObject({ expired: 1, more: false });
    const events = await owner().query(
      `SELECT data FROM audit_events WHERE org_id = $1 AND action = 'retention.payloads_expired' ORDER BY seq`,
      [many.org.id],
    );
    expect(events.rows.map((r) => r.data.count)).toEqual([2, 2, 1]);
  });
});
