import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as account } from "@/app/api/v1/account/route";
import { POST as changePassword } from "@/app/api/v1/account/password/route";
import { POST as regenerate } from "@/app/api/v1/account/recovery-codes/route";
import { DELETE as revokeOne } from "@/app/api/v1/account/sessions/[id]/route";
import { DELETE as revokeOthers, GET as sessionsList } from "@/app/api/v1/account/sessions/route";
import { POST as verifyStepUpRoute } from "@/app/api/v1/account/step-up/[id]/route";
import { POST as beginStepUpRoute } from "@/app/api/v1/account/step-up/route";
import { POST as confirmTotp } from "@/app/api/v1/account/totp/confirm/route";
import { DELETE as removeTotp, POST as beginTotp } from "@/app/api/v1/account/totp/route";
import { GET as members } from "@/app/api/v1/members/route";
import { GET as whoami } from "@/app/api/v1/session/route";
import { GET as secondOptions, POST as secondFactor } from "@/app/api/v1/session/second-factor/route";
import { consumeTotpCode } from "@/lib/auth/totp";
import { signInWithPassword } from "@/lib/auth/sign-in";
import { closeDb } from "@/lib/db/client";
import { withUser } from "@/lib/db/tenant";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, TEST_PASSWORD, type TestOrg, type TestUser } from "../helpers/fixtures";
import { call, cookieForToken, cookieFromSetCookie, sessionCookie } from "../helpers/http";

const meta = { ip: "198.51.100.20", userAgent: "vitest" };
let t: TestOrg;

beforeAll(async () => {
  t = await createTestOrg("mfa");
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function headSeq(orgId: string): Promise<number> {
  const r = await owner().query(`SELECT seq FROM audit_heads WHERE org_id = $1`, [orgId]);
  return Number(r.rows[0]?.seq ?? 0);
}
async function events(orgId: string, action: string, actorId?: string) {
  const r = await owner().query(
    `SELECT * FROM audit_events WHERE org_id = $1 AND action = $2 AND ($3::text IS NULL OR actor_id = $3) ORDER BY seq`,
    [orgId, action, actorId ?? null],
  );
  return r.rows;
}
/** A code for now + `steps` time steps. */
async function code(secret: string, steps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
}
/** Lets the next code be accepted without waiting 30 s (as if the next time step had come). */
async function forgetLastStep(userId: string) {
  await owner().query(`UPDATE user_totp SET last_used_step = NULL WHERE user_id = $1`, [userId]);
}
async function clearThrottle() {
  await owner().query(`DELETE FROM rate_limits`);
}

/** Enrols TOTP for a fresh session of `user`; returns the secret and the recovery codes. */
async function enrolTotp(user: TestUser) {
  const s = await sessionCookie(user.id);
  const begun = await call(beginTotp, { method: "POST", cookie: s.cookie });
  expect(begun.status).toBe(201);
  const secret = begun.json.secret as string;
  const done = await call(confirmTotp, { method: "POST", cookie: s.cookie, body: { code: await code(secret) } });
  expect(done.status).toBe(200);
  await forgetLastStep(user.id);
  return { secret, recoveryCodes: done.json.recovery_codes as string[], session: s };
}

/** Password sign-in → the pending session's cookie. */
async function passwordStep(user: TestUser) {
  const r = await signInWithPassword({ email: user.email, password: TEST_PASSWORD }, meta);
  return { ...r, cookie: await cookieForToken(user.id, r.sessionToken) };
}

describe("TOTP enrolment", () => {
  it("shows the secret and a server-rendered QR code, stores the secret encrypted, and counts only after a correct code", async () => {
    const u = (await createTestOrg("totp")).users.viewer;
    const s = await sessionCookie(u.id);
    const begun = await call(beginTotp, { method: "POST", cookie: s.cookie });
    expect(begun.status).toBe(201);
    expect(begun.json.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(begun.json.otpauth_uri).toMatch(/^otpauth:\/\/totp\/Warden:/);
    expect(begun.json.qr_svg).toMatch(/^<svg/);
    const row = (await owner().query(`SELECT * FROM user_totp WHERE user_id = $1`, [u.id])).rows[0];
    expect(row.secret_encrypted).toMatch(/^v1\./);
    expect(row.secret_encrypted).not.toContain(begun.json.secret);
    expect(row.confirmed_at).toBeNull();
    // not yet a factor: password sign-in still completes in one step
    expect((await passwordStep(u)).mfaPending).toBe(false);

    const wrong = await call(confirmTotp, { method: "POST", cookie: s.cookie, body: { code: "000000" } });
    expect(wrong.status).toBe(422);
    expect(wrong.json.errors[0].path).toBe("code");
    const bad = await call(confirmTotp, { method: "POST", cookie: s.cookie, body: { code: "12ab" } });
    expect(bad.status).toBe(422);
    expect(
      (await owner().query(`SELECT confirmed_at FROM user_totp WHERE user_id = $1`, [u.id])).rows[0].confirmed_at,
    ).toBeNull();

    const ok = await call(confirmTotp, {
      method: "POST",
      cookie: s.cookie,
      body: { code: await code(begun.json.secret) },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.recovery_codes).toHaveLength(10);
    expect(new Set(ok.json.recovery_codes).size).toBe(10);
    const hashes = (await owner().query(`SELECT code_hash FROM recovery_codes WHERE user_id = $1`, [u.id])).rows;
    expect(hashes).toHaveLength(10);
    expect(JSON.stringify(hashes)).not.toContain(ok.json.recovery_codes[0]);
    const ev = await events(t.org.id, "mfa.factor_added", u.id);
    expect(ev).toHaveLength(0); // another organization's member
    const sess = (await owner().query(`SELECT auth_methods FROM sessions WHERE id = $1`, [s.sessionId])).rows[0];
    expect(sess.auth_methods).toContain("otp");
    // a second setup is refused while one is on
    expect((await call(beginTotp, { method: "POST", cookie: s.cookie })).status).toBe(409);
  });

  it("audits the factor in the member's organization", async () => {
    const { session } = await enrolTotp(t.users.approver);
    const ev = await events(t.org.id, "mfa.factor_added", t.users.approver.id);
    expect(ev).toHaveLength(1);
    expect(ev[0].data).toMatchObject({ type: "totp", recovery_codes_issued: 10 });
    expect(ev[0].target_id).toBe(session.sessionId);
  });
});

describe("the second step of sign-in", () => {
  let secret: string;
  let recovery: string[];
  let user: TestUser;
  beforeAll(async () => {
    user = t.users.auditor;
    ({ secret, recoveryCodes: recovery } = await enrolTotp(user));
  });

  it("a password-only session can do nothing but finish signing in or sign out", async () => {
    const p = await passwordStep(user);
    expect(p.mfaPending).toBe(true);
    const me = await call(whoami, { cookie: p.cookie });
    expect(me.status).toBe(200);
    expect(me.json.session.stage).toBe("mfa_pending");
    expect(me.json.organizations).toEqual([]);
    const denied = await call(members, { cookie: p.cookie, org: t.org.slug });
    expect(denied.status).toBe(401);
    expect(denied.json.code).toBe("mfa_required");
    for (const handler of [account, sessionsList]) {
      expect((await call(handler, { cookie: p.cookie })).json.code).toBe("mfa_required");
    }
    expect((await call(beginTotp, { method: "POST", cookie: p.cookie })).status).toBe(401);
    // no sign-in is recorded until the second factor passes
    expect((await events(t.org.id, "auth.sign_in", user.id)).filter((e) => e.target_id === p.sessionId)).toHaveLength(
      0,
    );
    const opts = await call(secondOptions, { cookie: p.cookie });
    expect(opts.json.methods).toEqual(["totp", "recovery_code"]);
  });

  it("a correct code completes it under a new token; the pending cookie stops working", async () => {
    const p = await passwordStep(user);
    const before = await headSeq(t.org.id);
    const res = await call(secondFactor, {
      method: "POST",
      cookie: p.cookie,
      body: { method: "totp", code: await code(secret) },
    });
    expect(res.status).toBe(200);
    const fresh = cookieFromSetCookie(res);
    expect(fresh).not.toBe(p.cookie);
    expect((await call(members, { cookie: fresh, org: t.org.slug })).status).not.toBe(401);
    expect((await call(whoami, { cookie: p.cookie })).status).toBe(401);
    const ev = (await events(t.org.id, "auth.sign_in", user.id)).filter((e) => e.target_id === p.sessionId);
    expect(ev).toHaveLength(1);
    expect(ev[0].data.methods).toEqual(["pwd", "otp"]);
    expect(await headSeq(t.org.id)).toBe(before + 1);
    const row = (await owner().query(`SELECT stage, auth_methods FROM sessions WHERE id = $1`, [p.sessionId])).rows[0];
    expect(row).toEqual({ stage: "complete", auth_methods: ["pwd", "otp"] });
  });

  it("refuses a replayed code (the same time step twice), also across two concurrent sessions", async () => {
    await forgetLastStep(user.id);
    const c = await code(secret);
    const [p1, p2] = [await passwordStep(user), await passwordStep(user)];
    const results = await Promise.all(
      [p1, p2].map((p) => call(secondFactor, { method: "POST", cookie: p.cookie, body: { method: "totp", code: c } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 422]);
    const refused = results.find((r) => r.status === 422)!;
    expect(refused.json.detail).toMatch(/already used/);
    // and again later: the step is spent
    const p3 = await passwordStep(user);
    expect(
      (await call(secondFactor, { method: "POST", cookie: p3.cookie, body: { method: "totp", code: c } })).status,
    ).toBe(422);
    await clearThrottle();
  });

  it("accepts ±1 step of drift but not 2, and never a step at or below the last one used", async () => {
    await forgetLastStep(user.id);
    const check = (c: string) => withUser(user.id, (tx) => consumeTotpCode(tx, user.id, c));
    expect(await check(await code(secret, -2))).toEqual({ ok: false, reason: "wrong_code" });
    expect(await check(await code(secret, 2))).toEqual({ ok: false, reason: "wrong_code" });
    const next = await check(await code(secret, 1));
    expect(next.ok).toBe(true);
    // the current step is below the one just used: a replay, although the code is fresh
    expect(await check(await code(secret, 0))).toEqual({ ok: false, reason: "replayed" });
    await forgetLastStep(user.id);
  });

  it("a recovery code signs in once; two concurrent uses of one code cannot both succeed", async () => {
    const [p1, p2] = [await passwordStep(user), await passwordStep(user)];
    const rc = recovery[0]!;
    const results = await Promise.all(
      [p1, p2].map((p) =>
        call(secondFactor, {
          method: "POST",
          cookie: p.cookie,
          body: { method: "recovery_code", code: rc.toUpperCase() },
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 422]);
    const ok = results.find((r) => r.status === 200)!;
    expect(ok.json).toMatchObject({ method: "recovery", recovery_codes_left: 9, recovery_codes_low: false });
    expect((await events(t.org.id, "mfa.recovery_code_used", user.id)).length).toBeGreaterThanOrEqual(1);
    const p3 = await passwordStep(user);
    expect(
      (await call(secondFactor, { method: "POST", cookie: p3.cookie, body: { method: "recovery_code", code: rc } }))
        .status,
    ).toBe(422);
    await clearThrottle();
  });

  it("5 wrong answers end the pending session; each failure is audited", async () => {
    await clearThrottle();
    const p = await passwordStep(user);
    const before = (await events(t.org.id, "auth.sign_in_failed", user.id)).length;
    const requestIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await call(secondFactor, {
        method: "POST",
        cookie: p.cookie,
        body: { method: "totp", code: "000000" },
      });
      expect(r.status).toBe(422);
      requestIds.push(r.json.request_id);
    }
    // The problem+json's request_id is the failure event's (issue 10, A9).
    const failures = (await events(t.org.id, "auth.sign_in_failed", user.id)).slice(before);
    expect(failures.map((e) => e.request_id)).toEqual(requestIds);
    const fifth = await call(secondFactor, {
      method: "POST",
      cookie: p.cookie,
      body: { method: "totp", code: "000000" },
    });
    expect(fifth.status).toBe(401);
    expect(fifth.json.detail).toMatch(/sign in again/);
    expect((await call(whoami, { cookie: p.cookie })).status).toBe(401);
    const row = (await owner().query(`SELECT revoke_reason FROM sessions WHERE id = $1`, [p.sessionId])).rows[0];
    expect(row.revoke_reason).toBe("mfa_failed");
    expect((await events(t.org.id, "auth.sign_in_failed", user.id)).length).toBe(before + 5);
    await clearThrottle();
  });

  it("10 failures in 15 minutes lock the second step for everyone, even with the right code; the lock is audited", async () => {
    await clearThrottle();
    for (let round = 0; round < 2; round++) {
      const p = await passwordStep(user);
      for (let i = 0; i < 5; i++) {
        await call(secondFactor, { method: "POST", cookie: p.cookie, body: { method: "totp", code: "111111" } });
      }
    }
    const p = await passwordStep(user);
    await forgetLastStep(user.id);
    const r = await call(secondFactor, {
      method: "POST",
      cookie: p.cookie,
      body: { method: "totp", code: await code(secret) },
    });
    expect(r.status).toBe(429);
    expect(r.json.detail).toMatch(/locked/);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(800);
    expect((await events(t.org.id, "auth.mfa_locked", user.id)).length).toBe(1);
    const opts = await call(secondOptions, { cookie: p.cookie });
    expect(opts.json.locked.retry_after_seconds).toBeGreaterThan(0);
    await clearThrottle();
  });

  it("a pending session expires after 10 minutes", async () => {
    const p = await passwordStep(user);
    await owner().query(`UPDATE sessions SET created_at = now() - interval '11 minutes' WHERE id = $1`, [p.sessionId]);
    expect((await call(whoami, { cookie: p.cookie })).status).toBe(401);
    const row = (await owner().query(`SELECT revoke_reason FROM sessions WHERE id = $1`, [p.sessionId])).rows[0];
    expect(row.revoke_reason).toBe("mfa_timeout");
  });
});

describe("step-up", () => {
  let secret: string;
  let user: TestUser;
  let s: { cookie: string; sessionId: string };
  beforeAll(async () => {
    const o = await createTestOrg("stepup");
    user = o.users.viewer;
    ({ secret } = await enrolTotp(user));
    s = await sessionCookie(user.id);
  });

  async function grant(purpose: string, cookie = s.cookie) {
    const b = await call(beginStepUpRoute, { method: "POST", cookie, body: { purpose } });
    expect(b.status).toBe(201);
    return b.json as { step_up_id: string; methods: string[] };
  }
  async function verify(id: string, body: unknown, cookie = s.cookie) {
    return call(verifyStepUpRoute, { method: "POST", cookie, params: { id }, body });
  }

  it("a password change needs one when enrolled; the grant works once, for that purpose, in that session", async () => {
    const body = { current_password: TEST_PASSWORD, new_password: "a-new-password-123" };
    const none = await call(changePassword, { method: "POST", cookie: s.cookie, body });
    expect(none.status).toBe(401);
    expect(none.json.code).toBe("step_up_required");

    // a grant for another purpose does not serve
    const other = await grant("factors.change");
    await forgetLastStep(user.id);
    expect((await verify(other.step_up_id, { method: "totp", code: await code(secret) })).status).toBe(200);
    const wrongPurpose = await call(changePassword, {
      method: "POST",
      cookie: s.cookie,
      body,
      headers: { "x-warden-step-up": other.step_up_id },
    });
    expect(wrongPurpose.json.code).toBe("step_up_required");

    const g = await grant("password.change");
    expect(g.methods).toEqual(["totp", "recovery_code"]);
    await forgetLastStep(user.id);
    // wrong code: refused, nothing verified
    const wrong = await verify(g.step_up_id, { method: "totp", code: "000000" });
    expect(wrong.status).toBe(422);
    expect((await events((await orgOf(user)).id, "mfa.challenge_failed", user.id)).length).toBeGreaterThan(0);
    expect((await verify(g.step_up_id, { method: "totp", code: await code(secret) })).status).toBe(200);
    // the verified grant from another session does not serve
    const elsewhere = await sessionCookie(user.id);
    const foreign = await call(changePassword, {
      method: "POST",
      cookie: elsewhere.cookie,
      body,
      headers: { "x-warden-step-up": g.step_up_id },
    });
    expect(foreign.json.code).toBe("step_up_required");

    const ok = await call(changePassword, {
      method: "POST",
      cookie: s.cookie,
      body,
      headers: { "x-warden-step-up": g.step_up_id },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.other_sessions_ended).toBeGreaterThanOrEqual(1);
    expect((await call(whoami, { cookie: elsewhere.cookie })).status).toBe(401);
    // used once
    const again = await call(changePassword, {
      method: "POST",
      cookie: s.cookie,
      body: { current_password: "a-new-password-123", new_password: "another-password-456" },
      headers: { "x-warden-step-up": g.step_up_id },
    });
    expect(again.json.code).toBe("step_up_required");
    // the new password signs in
    expect((await signInWithPassword({ email: user.email, password: "a-new-password-123" }, meta)).mfaPending).toBe(
      true,
    );
  });

  it("an expired grant is refused, and a verified code cannot verify a second grant", async () => {
    const g = await grant("factors.change");
    await owner().query(`UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      g.step_up_id,
    ]);
    await forgetLastStep(user.id);
    expect((await verify(g.step_up_id, { method: "totp", code: await code(secret) })).status).toBe(404);
    const g1 = await grant("factors.change");
    const g2 = await grant("password.change");
    const c = await code(secret);
    expect((await verify(g1.step_up_id, { method: "totp", code: c })).status).toBe(200);
    const replay = await verify(g2.step_up_id, { method: "totp", code: c });
    expect(replay.status).toBe(422);
    expect(replay.json.detail).toMatch(/already used/);
    await clearThrottle();
  });

  it("5 wrong answers burn a grant", async () => {
    const g = await grant("factors.change");
    for (let i = 0; i < 5; i++)
      expect((await verify(g.step_up_id, { method: "totp", code: "000000" })).status).toBe(422);
    await forgetLastStep(user.id);
    expect((await verify(g.step_up_id, { method: "totp", code: await code(secret) })).status).toBe(404);
    await clearThrottle();
  });

  it("regenerating recovery codes needs a step-up and voids the old set; removing TOTP needs one too", async () => {
    expect((await call(regenerate, { method: "POST", cookie: s.cookie })).json.code).toBe("step_up_required");
    const g = await grant("factors.change");
    await forgetLastStep(user.id);
    expect((await verify(g.step_up_id, { method: "totp", code: await code(secret) })).status).toBe(200);
    const before = (await owner().query(`SELECT code_hash FROM recovery_codes WHERE user_id = $1`, [user.id])).rows;
    const r = await call(regenerate, {
      method: "POST",
      cookie: s.cookie,
      headers: { "x-warden-step-up": g.step_up_id },
    });
    expect(r.status).toBe(201);
    expect(r.json.recovery_codes).toHaveLength(10);
    const after = (await owner().query(`SELECT code_hash FROM recovery_codes WHERE user_id = $1`, [user.id])).rows;
    expect(after.some((x) => before.some((y) => y.code_hash === x.code_hash))).toBe(false);

    expect((await call(removeTotp, { method: "DELETE", cookie: s.cookie })).json.code).toBe("step_up_required");
    const g2 = await grant("factors.change");
    // a recovery code may confirm a step-up other than an approval
    expect((await verify(g2.step_up_id, { method: "recovery_code", code: r.json.recovery_codes[0] })).status).toBe(200);
    const del = await call(removeTotp, {
      method: "DELETE",
      cookie: s.cookie,
      headers: { "x-warden-step-up": g2.step_up_id },
    });
    expect(del.status).toBe(204);
    // the last factor gone: the codes go too, and sign-in is one step again
    expect(
      (await owner().query(`SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1`, [user.id])).rows[0].n,
    ).toBe(0);
    expect((await signInWithPassword({ email: user.email, password: "a-new-password-123" }, meta)).mfaPending).toBe(
      false,
    );
  });
});

describe("sessions", () => {
  it("lists the person's sessions with how each was established; revokes one or all others; not another person's", async () => {
    const u = t.users.viewer;
    const mine = await sessionCookie(u.id);
    const other = await sessionCookie(u.id);
    const list = await call(sessionsList, { cookie: mine.cookie });
    expect(list.status).toBe(200);
    const row = list.json.sessions.find((x: { id: string }) => x.id === mine.sessionId);
    expect(row).toMatchObject({ current: true, auth_methods: ["pwd"], ip: "127.0.0.1", user_agent: "vitest" });

    const stranger = await sessionCookie(t.users.admin.id);
    expect(
      (await call(revokeOne, { method: "DELETE", cookie: stranger.cookie, params: { id: other.sessionId } })).status,
    ).toBe(404);
    expect((await call(whoami, { cookie: other.cookie })).status).toBe(200);
    expect(
      (await call(revokeOne, { method: "DELETE", cookie: mine.cookie, params: { id: mine.sessionId } })).status,
    ).toBe(409);
    expect(
      (await call(revokeOne, { method: "DELETE", cookie: mine.cookie, params: { id: other.sessionId } })).status,
    ).toBe(204);
    expect((await call(whoami, { cookie: other.cookie })).status).toBe(401);
    expect((await events(t.org.id, "auth.session_revoked", u.id)).some((e) => e.target_id === other.sessionId)).toBe(
      true,
    );

    const third = await sessionCookie(u.id);
    const all = await call(revokeOthers, { method: "DELETE", cookie: mine.cookie });
    expect(all.json.revoked).toBeGreaterThanOrEqual(1);
    expect((await call(whoami, { cookie: third.cookie })).status).toBe(401);
    expect((await call(whoami, { cookie: mine.cookie })).status).toBe(200);
  });
});

async function orgOf(u: TestUser): Promise<{ id: string }> {
  const r = await owner().query(`SELECT org_id AS id FROM memberships WHERE user_id = $1 LIMIT 1`, [u.id]);
  return r.rows[0];
}
