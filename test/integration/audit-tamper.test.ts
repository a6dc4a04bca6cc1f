import { afterAll, describe, expect, it } from "vitest";
import { GET as PACK } from "@/app/api/v1/proof-pack/[actionId]/route";
import { GET as CONSISTENCY } from "@/app/api/v1/audit/consistency/route";
import { generateSigningKey, parseSigningKeyring, signCheckpoint, type SignedCheckpoint } from "@/lib/audit/checkpoint";
import { createCheckpoint } from "@/lib/audit/create-checkpoint";
import { verifyAuditLog } from "@/lib/audit/verify-audit-log";
import { closeDb } from "@/lib/db/client";
import { approvedAction, setUpFirewall } from "../helpers/actions";
import { headSeq, requestedCheckpoints, tamper } from "../helpers/audit";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";
import { memberContext } from "../helpers/keys";

/**
 * Tampering with the database as its owner (who can disable the append-only
 * trigger), against an approved action's real events: each kind of tampering
 * is detected by GET /api/v1/audit/verify and named, and no proof pack that
 * would verify can be produced from the tampered log.
 */
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

type World = { t: TestOrg; actionId: string; cookie: string; seqs: Record<string, number[]> };

async function world(prefix: string): Promise<World> {
  const t = await createTestOrg(prefix);
  const fw = await setUpFirewall(t);
  const action = await approvedAction(t, fw, { quorum: 2 });
  const rows = (
    await owner().query(`SELECT seq::int, action FROM audit_events WHERE org_id = $1 AND target_id = $2 ORDER BY seq`, [
      t.org.id,
      action.id,
    ])
  ).rows;
  const seqs: Record<string, number[]> = {};
  for (const r of rows) (seqs[r.action] ??= []).push(r.seq);
  return { t, actionId: action.id, cookie: (await sessionCookie(t.users.auditor.id)).cookie, seqs };
}

async function exportRefused(w: World) {
  const before = await requestedCheckpoints(w.t.org.id);
  const head = await headSeq(w.t.org.id);
  const res = await call(PACK, { cookie: w.cookie, org: w.t.org.slug, params: { actionId: w.actionId } });
  expect(res.status).toBe(409);
  expect(await requestedCheckpoints(w.t.org.id)).toBe(before);
  expect(await headSeq(w.t.org.id)).toBe(head);
  return res.json as { detail: string; errors?: { path: string; message: string }[] };
}

describe("tampering with the database, as the owner", () => {
  it("one byte of an event edited: the chain breaks at that seq, and the pack is refused naming it", async () => {
    const w = await world("tb");
    const seq = w.seqs["action.decided"]![0]!;
    await tamper(
      `UPDATE audit_events SET data = jsonb_set(data, '{risk_level}', '"criticaL"') WHERE org_id = $1 AND seq = $2`,
      [w.t.org.id, seq],
    );
    const report = await verifyAuditLog(memberContext(w.t, "auditor"));
    expect(report.chain).toMatchObject({
      ok: false,
      first_bad_seq: seq,
      reason: "content does not match its hash (edited)",
    });
    const problem = await exportRefused(w);
    expect(problem.errors!.map((e) => e.message).join("\n")).toContain(`event seq ${seq}`);
  });

  it("an event deleted: the chain names the missing seq, and the pack is refused", async () => {
    const w = await world("td");
    const seq = w.seqs["approval.approved"]![1]!;
    await tamper(`DELETE FROM audit_events WHERE org_id = $1 AND seq = $2`, [w.t.org.id, seq]);
    expect((await verifyAuditLog(memberContext(w.t, "auditor"))).chain).toMatchObject({
      ok: false,
      first_bad_seq: seq,
      reason: "event missing",
    });
    expect((await exportRefused(w)).detail).toContain(`missing event ${seq}`);
  });

  it("two events swapped: the chain breaks at the first of them, and the pack is refused for the broken link", async () => {
    const w = await world("ts");
    const [a, b] = [w.seqs["action.submitted"]![0]!, w.seqs["action.decided"]![0]!];
    await tamper(
      [
        `UPDATE audit_events SET seq = 999999999 WHERE org_id = $1 AND seq = ${a}`,
        `UPDATE audit_events SET seq = ${a} WHERE org_id = $1 AND seq = ${b}`,
        `UPDATE audit_events SET seq = ${b} WHERE org_id = $1 AND seq = 999999999`,
      ],
      [w.t.org.id],
    );
    expect((await verifyAuditLog(memberContext(w.t, "auditor"))).chain).toMatchObject({ ok: false, first_bad_seq: a });
    const problem = await exportRefused(w);
    expect(problem.errors!.map((e) => e.message).join("\n")).toMatch(
      new RegExp(`seq ${b}.*prev_hash|prev_hash.*seq ${b}|link`),
    );
  });

  it("the tail truncated (head rolled back): the checkpoint that covered it names the removal, and no consistency proof exists", async () => {
    const w = await world("tt");
    const auditor = memberContext(w.t, "auditor");
    const cp = await createCheckpoint(auditor);
    const cut = w.seqs["approval.approved"]![0]!; // keep everything before the first approval
    await tamper(
      [
        `DELETE FROM audit_events WHERE org_id = $1 AND seq >= $2`,
        `UPDATE audit_heads h SET seq = e.seq, hash = e.hash FROM audit_events e WHERE h.org_id = $1 AND e.org_id = $1 AND e.seq = $2 - 1`,
      ],
      [w.t.org.id, cut],
    );
    const report = await verifyAuditLog(auditor);
    expect(report.chain).toMatchObject({ ok: true, length: cut - 1 });
    expect(report.latest_checkpoint).toMatchObject({ id: cp.id, matches_chain: false });
    expect(report.latest_checkpoint!.problem).toContain(
      `covers ${cp.tree_size} events but the log now has ${cut - 1}: events were removed`,
    );
    const res = await call(CONSISTENCY, {
      cookie: w.cookie,
      org: w.t.org.slug,
      path: `/api/v1/audit/consistency?from=${cp.id}&to=${cut - 1}`,
    });
    expect(res.status).toBe(422);
    // The approval decisions are still in their table, their events are gone: no pack.
    const problem = await exportRefused(w);
    expect(problem.errors!.map((e) => e.message).join("\n")).toContain(
      "has no approval.approved or approval.rejected event",
    );
  });

  it("a checkpoint re-signed with another public key: its signature is reported as not from the organization's key ring", async () => {
    const w = await world("tk");
    const auditor = memberContext(w.t, "auditor");
    const cp = await createCheckpoint(auditor);
    const attacker = parseSigningKeyring(generateSigningKey({ validFrom: new Date(Date.now() - 60_000) }).spec);
    const forged: SignedCheckpoint = signCheckpoint(attacker, {
      org_id: w.t.org.id,
      tree_size: cp.tree_size,
      root_hash: cp.root_hash,
    });
    await owner().query(`UPDATE audit_checkpoints SET signed = $2, key_id = $3 WHERE id = $1`, [
      cp.id,
      forged,
      forged.checkpoint.key_id,
    ]);
    const report = await verifyAuditLog(auditor);
    expect(report.checkpoints.failed).toEqual([
      expect.objectContaining({
        id: cp.id,
        signature_valid: false,
        problem: expect.stringContaining(`checkpoint key ${forged.checkpoint.key_id} is not in the keyring`),
      }),
    ]);
  });
});
