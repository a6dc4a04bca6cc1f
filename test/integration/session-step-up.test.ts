import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as beginStepUpRoute } from "@/app/api/v1/account/step-up/route";
import { POST as verifyStepUpRoute } from "@/app/api/v1/account/step-up/[id]/route";
import { GET as whoami } from "@/app/api/v1/auth/whoami/route";
import { GET as getSession, DELETE as signOut } from "@/app/api/v1/session/route";
import { POST as sessionStepUp } from "@/app/api/v1/session/step-up/route";
import { evaluateOrganization } from "@/lib/alerts/evaluate-alerts";
import { createRule } from "@/lib/alerts/rules";
import { templateById } from "@/lib/alerts/templates";
import { createSession } from "@/lib/auth/sessions";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, cookieForToken, sessionCookie } from "../helpers/http";
import { memberContext } from "../helpers/keys";
import { enrolTotp, freshTotpCode, stepUpHeader } from "../helpers/step-up";

/**
 * Issue 12 template 7: a sign-in from a new address → that session must step
 * up (sessions.stage 'step_up_required'): until it confirms a fresh second
 * factor it can only do that or sign out.
 */
let t: TestOrg;
let secret: string;

beforeAll(async () => {
  t = await createTestOrg("sessstep");
  await createRule(memberContext(t), {
    name: "new address",
    template: "new_sign_in_address",
    mode: "active",
    spec: templateById("new_sign_in_address")!.spec,
  });
  // First sign-ins (127.0.0.1) only teach the rule each person's address.
  const s = await sessionCookie(t.users.approver.id);
  secret = await enrolTotp(s.cookie);
  await sessionCookie(t.users.viewer.id);
  await drain();
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function drain() {
  for (let i = 0; i < 100; i++) if (!(await evaluateOrganization(t.org.id)).more) break;
}
const stageOf = async (sessionId: string) =>
  (await owner().query(`SELECT stage FROM sessions WHERE id = $1`, [sessionId])).rows[0].stage as string;
const events = async (action: string) =>
  (await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 AND action = $2 ORDER BY seq`, [t.org.id, action]))
    .rows;

async function signInFrom(userId: string, ip: string) {
  const s = await createSession(userId, ["pwd", "otp"], { ip, userAgent: "vitest" });
  return { ...s, cookie: await cookieForToken(userId, s.token) };
}

describe("require_step_up on a sign-in from a new address", () => {
  it("the session can only step up or sign out until it confirms a fresh factor; audited", async () => {
    const known = await signInFrom(t.users.approver.id, "127.0.0.1");
    const fresh = await signInFrom(t.users.approver.id, "198.51.100.7");
    await drain();
    expect(await stageOf(known.sessionId)).toBe("complete");
    expect(await stageOf(fresh.sessionId)).toBe("step_up_required");
    const [req] = await events("auth.step_up_required");
    expect(req).toMatchObject({ actor_type: "system", target_type: "session", target_id: fresh.sessionId });
    expect(req.data).toMatchObject({ user_id: t.users.approver.id, alert: { rule_name: "new address" } });

    // everything else is refused, API and pages alike (pages resolve no session: back to /login)
    const denied = await call(whoami, { cookie: fresh.cookie, org: t.org.slug });
    expect(denied.status).toBe(401);
    expect(denied.json.code).toBe("session_step_up_required");
    expect((await call(whoami, { cookie: known.cookie, org: t.org.slug })).status).toBe(200);
    const sess = await call(getSession, { cookie: fresh.cookie });
    expect(sess.json.session.stage).toBe("step_up_required");
    expect(sess.json.organizations).toEqual([]);
    // no grant for anything but the session itself
    const other = await call(beginStepUpRoute, {
      method: "POST",
      cookie: fresh.cookie,
      body: { purpose: "keys.create", org: t.org.slug },
    });
    expect(other.json.code).toBe("session_step_up_required");
    // presenting nothing, or a grant of another session, does not clear it
    expect((await call(sessionStepUp, { method: "POST", cookie: fresh.cookie })).json.code).toBe("step_up_required");
    const foreign = await call(beginStepUpRoute, {
      method: "POST",
      cookie: known.cookie,
      body: { purpose: "factors.change" },
    });
    expect(
      (
        await call(sessionStepUp, {
          method: "POST",
          cookie: fresh.cookie,
          headers: stepUpHeader(foreign.json.step_up_id),
        })
      ).json.code,
    ).toBe("step_up_required");
    // a session that does not need it
    expect((await call(sessionStepUp, { method: "POST", cookie: known.cookie })).status).toBe(409);

    const g = await call(beginStepUpRoute, {
      method: "POST",
      cookie: fresh.cookie,
      body: { purpose: "session.step_up" },
    });
    expect(g.status).toBe(201);
    const wrong = await call(verifyStepUpRoute, {
      method: "POST",
      cookie: fresh.cookie,
      params: { id: g.json.step_up_id },
      body: { method: "totp", code: "000000" },
    });
    expect(wrong.status).toBe(422);
    const v = await call(verifyStepUpRoute, {
      method: "POST",
      cookie: fresh.cookie,
      params: { id: g.json.step_up_id },
      body: { method: "totp", code: await freshTotpCode(t.users.approver.id, secret) },
    });
    expect(v.status).toBe(200);
    const done = await call(sessionStepUp, {
      method: "POST",
      cookie: fresh.cookie,
      headers: stepUpHeader(g.json.step_up_id),
    });
    expect(done.status).toBe(200);
    expect(done.json).toEqual({ stage: "complete", method: "totp" });
    expect(await stageOf(fresh.sessionId)).toBe("complete");
    expect((await call(whoami, { cookie: fresh.cookie, org: t.org.slug })).status).toBe(200);
    const [ev] = await events("auth.session_stepped_up");
    expect(ev).toMatchObject({ actor_id: t.users.approver.id, target_id: fresh.sessionId });
    // the grant is used up; the session is complete again
    expect(
      (await call(sessionStepUp, { method: "POST", cookie: fresh.cookie, headers: stepUpHeader(g.json.step_up_id) }))
        .status,
    ).toBe(409);
  });

  it("the same new address again does not fire; signing out is always possible", async () => {
    const again = await signInFrom(t.users.approver.id, "198.51.100.7");
    const third = await signInFrom(t.users.approver.id, "203.0.113.50");
    await drain();
    expect(await stageOf(again.sessionId)).toBe("complete");
    expect(await stageOf(third.sessionId)).toBe("step_up_required");
    expect((await call(signOut, { method: "DELETE", cookie: third.cookie })).status).toBe(204);
    const row = (await owner().query(`SELECT revoked_at FROM sessions WHERE id = $1`, [third.sessionId])).rows[0];
    expect(row.revoked_at).not.toBeNull();
  });

  it("a person without a second factor is not asked (nothing to step up with); the firing says why", async () => {
    const s = await signInFrom(t.users.viewer.id, "192.0.2.99");
    await drain();
    expect(await stageOf(s.sessionId)).toBe("complete");
    const firing = (
      await owner().query(`SELECT responses FROM alert_firings WHERE org_id = $1 ORDER BY fired_at DESC LIMIT 1`, [
        t.org.id,
      ])
    ).rows[0];
    expect(firing.responses).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: "require_step_up", status: "skipped" })]),
    );
  });
});
