import { unzipSync } from "fflate";
import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as verifyStepUpRoute } from "@/app/api/v1/account/step-up/[id]/route";
import { POST as beginRegistration } from "@/app/api/v1/account/passkeys/route";
import { POST as finishRegistration } from "@/app/api/v1/account/passkeys/verify/route";
import { POST as beginTotp } from "@/app/api/v1/account/totp/route";
import { POST as confirmTotp } from "@/app/api/v1/account/totp/confirm/route";
import { POST as approve } from "@/app/api/v1/approvals/[id]/approve/route";
import { POST as reject } from "@/app/api/v1/approvals/[id]/reject/route";
import { POST as approvalStepUp } from "@/app/api/v1/approvals/[id]/step-up/route";
import { GET as PACK } from "@/app/api/v1/proof-pack/[actionId]/route";
import { stepUpChallenge } from "@/lib/auth/step-up-challenge";
import { closeDb } from "@/lib/db/client";
import { verifyProofPack } from "@/lib/proof-pack/verify.mjs";
import { verifyProofPackZip } from "@/lib/proof-pack/verify-zip";
import { setUpFirewall, submitAction, type Firewall } from "../helpers/actions";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, callRaw, sessionCookie } from "../helpers/http";
import { SoftAuthenticator } from "../helpers/webauthn";

let t: TestOrg;
let fw: Firewall;
let approverCookie: string;
let auth: SoftAuthenticator;

beforeAll(async () => {
  t = await createTestOrg("apstep");
  fw = await setUpFirewall(t);
  auth = new SoftAuthenticator(t.users.approver.id);
  const s0 = await sessionCookie(t.users.approver.id);
  const begun = await call(beginRegistration, { method: "POST", cookie: s0.cookie });
  const reg = await call(finishRegistration, {
    method: "POST",
    cookie: s0.cookie,
    body: {
      challenge_id: begun.json.challenge_id,
      name: "Key",
      response: auth.register({ challenge: begun.json.options.challenge }),
    },
  });
  expect(reg.status).toBe(201);
  approverCookie = (await sessionCookie(t.users.approver.id)).cookie;
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const headSeq = async () =>
  Number((await owner().query(`SELECT seq FROM audit_heads WHERE org_id = $1`, [t.org.id])).rows[0].seq);

async function openStepUp(approvalId: string, cookie = approverCookie) {
  const r = await call(approvalStepUp, { method: "POST", cookie, org: t.org.slug, params: { id: approvalId } });
  expect(r.status).toBe(201);
  return r.json as { step_up_id: string; methods: string[]; webauthn: { challenge: string } };
}
async function passkeyStepUp(approvalId: string) {
  const g = await openStepUp(approvalId);
  const v = await call(verifyStepUpRoute, {
    method: "POST",
    cookie: approverCookie,
    params: { id: g.step_up_id },
    body: { method: "webauthn", response: auth.assert({ challenge: g.webauthn.challenge }) },
  });
  expect(v.status).toBe(200);
  return g.step_up_id;
}
const decide = (handler: typeof approve, approvalId: string, stepUpId?: string, cookie = approverCookie) =>
  call(handler, {
    method: "POST",
    cookie,
    org: t.org.slug,
    params: { id: approvalId },
    body: { reason: "checked" },
    headers: stepUpId ? { "x-warden-step-up": stepUpId } : {},
  });

describe("step-up bound to the approval", () => {
  it("a high-risk decision needs a fresh second factor; without one nothing is written", async () => {
    const a = await submitAction(fw, "pay");
    const before = await headSeq();
    const r = await decide(approve, a.approval!.id);
    expect(r.status).toBe(401);
    expect(r.json.code).toBe("step_up_required");
    expect(await headSeq()).toBe(before);
    expect(
      (
        await owner().query(`SELECT count(*)::int AS n FROM approval_decisions WHERE approval_id = $1`, [
          a.approval!.id,
        ])
      ).rows[0].n,
    ).toBe(0);
  });

  it("the passkey challenge is SHA-256 over purpose, approval id, payload hash and the server nonce", async () => {
    const a = await submitAction(fw, "pay", { amount: 7 });
    const g = await openStepUp(a.approval!.id);
    const row = (await owner().query(`SELECT * FROM mfa_challenges WHERE id = $1`, [g.step_up_id])).rows[0];
    expect(row).toMatchObject({ purpose: "approval.decide", target_id: a.approval!.id, payload_hash: a.payload_hash });
    expect(g.webauthn.challenge).toBe(
      stepUpChallenge({
        purpose: "approval.decide",
        targetId: a.approval!.id,
        payloadHash: a.payload_hash,
        nonce: row.nonce,
      }),
    );
    expect(g.methods).toEqual(["webauthn"]); // no recovery codes for approvals
  });

  it("a grant for one approval cannot decide another; a recovery code never steps up an approval; a grant is used once", async () => {
    const a1 = await submitAction(fw, "pay", { amount: 1 });
    const a2 = await submitAction(fw, "pay", { amount: 2 });
    const g1 = await passkeyStepUp(a1.approval!.id);
    const wrong = await decide(approve, a2.approval!.id, g1);
    expect(wrong.json.code).toBe("step_up_required");
    const codes = (
      await owner().query(`SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1`, [t.users.approver.id])
    ).rows[0].n;
    expect(codes).toBe(10);
    const g2 = await openStepUp(a2.approval!.id);
    const rc = await call(verifyStepUpRoute, {
      method: "POST",
      cookie: approverCookie,
      params: { id: g2.step_up_id },
      body: { method: "recovery_code", code: "abcd-efgh-jkmn-pqrs" },
    });
    expect(rc.status).toBe(422);
    expect(rc.json.detail).toMatch(/never approve/);
    // a passkey assertion over another approval's challenge does not verify this grant
    const g3 = await openStepUp(a2.approval!.id);
    const g4 = await openStepUp(a1.approval!.id);
    const crossed = await call(verifyStepUpRoute, {
      method: "POST",
      cookie: approverCookie,
      params: { id: g3.step_up_id },
      body: { method: "webauthn", response: auth.assert({ challenge: g4.webauthn.challenge }) },
    });
    expect(crossed.status).toBe(422);

    const ok = await decide(approve, a1.approval!.id, await passkeyStepUp(a1.approval!.id));
    expect(ok.status).toBe(200);
    const again = await decide(reject, a2.approval!.id, g1);
    expect(again.json.code).toBe("step_up_required");
  });

  it("approving with a passkey stores the assertion; the proof pack verifies it offline, and a tampered assertion fails", async () => {
    const a = await submitAction(fw, "pay", { amount: 99, to: "acct_9" });
    const g = await passkeyStepUp(a.approval!.id);
    const r = await decide(approve, a.approval!.id, g);
    expect(r.status).toBe(200);
    expect(r.json.action.status).toBe("approved");
    const d = (
      await owner().query(`SELECT mfa, mfa_evidence FROM approval_decisions WHERE approval_id = $1`, [a.approval!.id])
    ).rows[0];
    expect(d.mfa).toBe(true);
    expect(d.mfa_evidence).toMatchObject({
      method: "webauthn",
      credential_id: auth.id,
      payload_hash: a.payload_hash,
      purpose: "approval.decide",
    });
    const ev = (
      await owner().query(
        `SELECT data FROM audit_events WHERE org_id = $1 AND action = 'approval.approved' AND data->>'approval_id' = $2`,
        [t.org.id, a.approval!.id],
      )
    ).rows[0];
    expect(ev.data).toMatchObject({ mfa: true, mfa_method: "webauthn" });
    expect(ev.data.mfa_evidence_sha256).toMatch(/^[0-9a-f]{64}$/);

    const auditor = await sessionCookie(t.users.auditor.id);
    const res = await callRaw(PACK, { cookie: auditor.cookie, org: t.org.slug, params: { actionId: a.id } });
    expect(res.status).toBe(200);
    const zip = new Uint8Array(await res.arrayBuffer());
    const result = verifyProofPackZip(zip);
    expect(result.problems).toEqual([]);
    expect(result.summary.approvals_with_passkey_proof).toBe(1);
    const files = new Map(Object.entries(unzipSync(zip)));
    const approvals = JSON.parse(Buffer.from(files.get("approvals.json")!).toString("utf8"));
    expect(approvals[0]).toMatchObject({ mfa: true, mfa_method: "webauthn" });

    // flip one bit of the signature: the evidence no longer matches what the chain recorded
    const sig = Buffer.from(approvals[0].mfa_evidence.signature, "base64url");
    sig[10] = sig[10]! ^ 1;
    approvals[0].mfa_evidence.signature = sig.toString("base64url");
    files.set("approvals.json", new TextEncoder().encode(JSON.stringify(approvals, null, 2)));
    const tampered = verifyProofPack(files);
    expect(tampered.ok).toBe(false);
    expect(tampered.problems.map((p) => p.code)).toContain("mfa_evidence_mismatch");
    // claiming MFA without evidence
    const claimed = JSON.parse(Buffer.from(unzipSync(zip)["approvals.json"]!).toString("utf8"));
    delete claimed[0].mfa_evidence;
    files.set("approvals.json", new TextEncoder().encode(JSON.stringify(claimed)));
    expect(verifyProofPack(files).problems.map((p) => p.code)).toContain("mfa_evidence_missing");
  });

  it("a TOTP step-up is recorded (its time step) but never called a proof", async () => {
    const u = fw.secondApprover;
    const s = await sessionCookie(u.id);
    const begun = await call(beginTotp, { method: "POST", cookie: s.cookie });
    const secret = begun.json.secret as string;
    await call(confirmTotp, { method: "POST", cookie: s.cookie, body: { code: await generate({ secret }) } });
    await owner().query(`UPDATE user_totp SET last_used_step = NULL WHERE user_id = $1`, [u.id]);
    const cookie = (await sessionCookie(u.id)).cookie;
    const a = await submitAction(fw, "pay", { amount: 3 });
    const g = await openStepUp(a.approval!.id, cookie);
    expect(g.methods).toEqual(["totp"]);
    const v = await call(verifyStepUpRoute, {
      method: "POST",
      cookie,
      params: { id: g.step_up_id },
      body: { method: "totp", code: await generate({ secret }) },
    });
    expect(v.status).toBe(200);
    const r = await decide(reject, a.approval!.id, g.step_up_id, cookie);
    expect(r.status).toBe(200);
    const d = (
      await owner().query(`SELECT mfa, mfa_evidence FROM approval_decisions WHERE approval_id = $1`, [a.approval!.id])
    ).rows[0];
    expect(d.mfa).toBe(false);
    expect(d.mfa_evidence).toMatchObject({ method: "totp" });
    expect(typeof d.mfa_evidence.step).toBe("number");
    const auditor = await sessionCookie(t.users.auditor.id);
    const res = await callRaw(PACK, { cookie: auditor.cookie, org: t.org.slug, params: { actionId: a.id } });
    const result = verifyProofPackZip(new Uint8Array(await res.arrayBuffer()));
    expect(result.problems).toEqual([]);
    expect(result.summary.approvals_with_passkey_proof).toBe(0);
  });

  it("the organization's rule: 'none' needs no step-up, 'every' needs one for low risk too", async () => {
    await owner().query(`UPDATE organizations SET step_up_approvals = 'none' WHERE id = $1`, [t.org.id]);
    const a = await submitAction(fw, "pay", { amount: 4 });
    const r = await decide(approve, a.approval!.id);
    expect(r.status).toBe(200);
    expect(
      (await owner().query(`SELECT mfa FROM approval_decisions WHERE approval_id = $1`, [a.approval!.id])).rows[0].mfa,
    ).toBe(false);
    await owner().query(`UPDATE organizations SET step_up_approvals = 'high' WHERE id = $1`, [t.org.id]);
  });
});
