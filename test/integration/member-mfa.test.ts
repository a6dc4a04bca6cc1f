import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as whoami } from "@/app/api/v1/auth/whoami/route";
import { DELETE as unlockRoute } from "@/app/api/v1/members/[userId]/mfa-lock/route";
import { POST as resetRoute } from "@/app/api/v1/members/[userId]/mfa-reset/route";
import { GET as membersRoute } from "@/app/api/v1/members/route";
import { mfaLockState, recordMfaFailure, unlockMfa } from "@/lib/auth/mfa-throttle";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";
import { bearer, createKey } from "../helpers/keys";
import { enrolTotp, stepUpHeader, totpStepUp } from "../helpers/step-up";

/**
 * The members page's factor types, an admin's reset of a member's factors
 * (admin step-up for exactly that member, sessions end, audited) and the
 * unlock of a member's second step (audited).
 */
let t: TestOrg;
let other: TestOrg;
let admin: { cookie: string; userId: string; secret: string };

beforeAll(async () => {
  [t, other] = await Promise.all([createTestOrg("memmfa"), createTestOrg("memmfa-b")]);
  const s = await sessionCookie(t.users.admin.id);
  admin = { cookie: s.cookie, userId: t.users.admin.id, secret: await enrolTotp(s.cookie) };
});
afterAll(async () => {
  await Promise.all([t.users.approver.id, t.users.auditor.id, other.users.viewer.id].map(unlockMfa));
  await closeOwner();
  await closeDb();
});

const factorRows = async (userId: string) => {
  const q = async (table: string) =>
    (await owner().query(`SELECT count(*)::int n FROM ${table} WHERE user_id = $1`, [userId])).rows[0].n as number;
  return { totp: await q("user_totp"), passkeys: await q("webauthn_credentials"), codes: await q("recovery_codes") };
};
const events = async (orgId: string, action: string) =>
  (await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 AND action = $2 ORDER BY seq`, [orgId, action]))
    .rows;
const reset = (memberId: string, headers: Record<string, string> = {}, cookie = admin.cookie, org = t.org.slug) =>
  call(resetRoute, { method: "POST", cookie, org, params: { userId: memberId }, headers });

describe("members' factors", () => {
  it("the members list shows each member's factor types and counts, never secrets", async () => {
    const approver = await sessionCookie(t.users.approver.id);
    await enrolTotp(approver.cookie);
    const r = await call(membersRoute, { cookie: admin.cookie, org: t.org.slug });
    expect(r.status).toBe(200);
    const byId = new Map((r.json.members as { user_id: string; factors: unknown }[]).map((m) => [m.user_id, m]));
    expect(byId.get(t.users.approver.id)!.factors).toEqual({
      totp: true,
      passkeys: 0,
      recovery_codes_left: 10,
      second_step_locked_seconds: null,
    });
    expect(byId.get(t.users.viewer.id)!.factors).toMatchObject({ totp: false, passkeys: 0, recovery_codes_left: 0 });
    expect(JSON.stringify(r.json)).not.toMatch(/secret|code_hash|public_key/);
  });
});

describe("POST /api/v1/members/{userId}/mfa-reset", () => {
  it("needs the admin's own step-up for exactly this member; then factors go, sessions end, audited", async () => {
    const member = await sessionCookie(t.users.approver.id);
    expect((await call(whoami, { cookie: member.cookie, org: t.org.slug })).status).toBe(200);
    const before = await factorRows(t.users.approver.id);
    expect(before.totp).toBe(1);

    const bare = await reset(t.users.approver.id);
    expect(bare.status).toBe(401);
    expect(bare.json.code).toBe("step_up_required");
    // a grant for another member does not serve
    const forAuditor = await totpStepUp(admin, {
      purpose: "member.mfa_reset",
      org: t.org.slug,
      target_id: t.users.auditor.id,
    });
    expect((await reset(t.users.approver.id, stepUpHeader(forAuditor))).json.code).toBe("step_up_required");
    expect(await factorRows(t.users.approver.id)).toEqual(before);

    const grant = await totpStepUp(admin, {
      purpose: "member.mfa_reset",
      org: t.org.slug,
      target_id: t.users.approver.id,
    });
    const ok = await reset(t.users.approver.id, stepUpHeader(grant));
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ totp: 1, passkeys: 0, recovery_codes: 10 });
    expect(ok.json.sessions_ended).toBeGreaterThanOrEqual(1);
    expect(await factorRows(t.users.approver.id)).toMatchObject({ totp: 0, passkeys: 0 });
    expect((await call(whoami, { cookie: member.cookie, org: t.org.slug })).status).toBe(401);
    const [ev] = await events(t.org.id, "member.mfa_reset");
    expect(ev).toMatchObject({ actor_id: t.users.admin.id, target_id: t.users.approver.id });
    expect(ev.data).toMatchObject({ totp: 1, recovery_codes: 10, step_up: "totp" });
    // the grant is used up
    expect((await reset(t.users.approver.id, stepUpHeader(grant))).json.code).toBe("step_up_required");
  });

  it("another organization's member id is not found, and consumes nothing", async () => {
    const foreign = await sessionCookie(other.users.viewer.id);
    await enrolTotp(foreign.cookie);
    const grant = await totpStepUp(admin, {
      purpose: "member.mfa_reset",
      org: t.org.slug,
      target_id: other.users.viewer.id,
    });
    const r = await reset(other.users.viewer.id, stepUpHeader(grant));
    expect(r.status).toBe(404);
    expect((await factorRows(other.users.viewer.id)).totp).toBe(1);
    expect((await call(whoami, { cookie: foreign.cookie, org: other.org.slug })).status).toBe(200);
    // a made-up id and a bad one
    expect((await reset("00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await reset("not-a-uuid")).status).toBe(404);
  });

  it("non-admins, API keys, the admin themself and people of other organizations too are refused", async () => {
    const viewer = await sessionCookie(t.users.viewer.id);
    expect((await reset(t.users.auditor.id, {}, viewer.cookie)).status).toBe(403);
    const key = await createKey(t, { scopes: ["members:write", "members:read"] });
    const byKey = await call(resetRoute, {
      method: "POST",
      headers: bearer(key.token),
      params: { userId: t.users.auditor.id },
    });
    expect(byKey.status).toBe(403);
    expect((await reset(t.users.admin.id)).status).toBe(409);
    // the auditor also belongs to the other organization: their factors are not this one's alone
    await owner().query(`INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'viewer')`, [
      other.org.id,
      t.users.auditor.id,
    ]);
    const auditor = await sessionCookie(t.users.auditor.id);
    await enrolTotp(auditor.cookie);
    const grant = await totpStepUp(admin, {
      purpose: "member.mfa_reset",
      org: t.org.slug,
      target_id: t.users.auditor.id,
    });
    const r = await reset(t.users.auditor.id, stepUpHeader(grant));
    expect(r.status).toBe(409);
    expect((await factorRows(t.users.auditor.id)).totp).toBe(1);
  });
});

describe("DELETE /api/v1/members/{userId}/mfa-lock", () => {
  it("an admin unlocks a member's locked second step; audited; nothing to unlock is 404", async () => {
    const memberId = t.users.viewer.id;
    for (let i = 0; i < 10; i++) await recordMfaFailure(memberId);
    expect((await mfaLockState(memberId)).locked).toBe(true);
    const listed = await call(membersRoute, { cookie: admin.cookie, org: t.org.slug });
    const row = (listed.json.members as { user_id: string; factors: { second_step_locked_seconds: number } }[]).find(
      (m) => m.user_id === memberId,
    )!;
    expect(row.factors.second_step_locked_seconds).toBeGreaterThan(0);

    const viewer = await sessionCookie(t.users.viewer.id);
    expect(
      (
        await call(unlockRoute, {
          method: "DELETE",
          cookie: viewer.cookie,
          org: t.org.slug,
          params: { userId: memberId },
        })
      ).status,
    ).toBe(403);
    const ok = await call(unlockRoute, {
      method: "DELETE",
      cookie: admin.cookie,
      org: t.org.slug,
      params: { userId: memberId },
    });
    expect(ok.status).toBe(204);
    expect((await mfaLockState(memberId)).locked).toBe(false);
    const [ev] = await events(t.org.id, "member.mfa_unlocked");
    expect(ev).toMatchObject({ actor_id: t.users.admin.id, target_id: memberId });
    const again = await call(unlockRoute, {
      method: "DELETE",
      cookie: admin.cookie,
      org: t.org.slug,
      params: { userId: memberId },
    });
    expect(again.status).toBe(404);
  });

  it("another organization's member is not found, and stays locked", async () => {
    const foreignId = other.users.viewer.id;
    for (let i = 0; i < 10; i++) await recordMfaFailure(foreignId);
    const r = await call(unlockRoute, {
      method: "DELETE",
      cookie: admin.cookie,
      org: t.org.slug,
      params: { userId: foreignId },
    });
    expect(r.status).toBe(404);
    expect((await mfaLockState(foreignId)).locked).toBe(true);
  });
});
