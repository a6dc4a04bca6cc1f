import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as verifyStepUpRoute } from "@/app/api/v1/account/step-up/[id]/route";
import { POST as beginStepUpRoute } from "@/app/api/v1/account/step-up/route";
import { POST as confirmTotp } from "@/app/api/v1/account/totp/confirm/route";
import { POST as beginTotp } from "@/app/api/v1/account/totp/route";
import { GET as members } from "@/app/api/v1/members/route";
import { GET as getPolicy, PUT as putPolicy } from "@/app/api/v1/org/mfa-policy/route";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";

let t: TestOrg;
beforeAll(async () => {
  t = await createTestOrg("mfapol");
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const body = { mfa_policy: "everyone", passkeys_only: false, grace_days: 0, step_up_approvals: "high" };

describe("organization MFA policy", () => {
  it("an admin without a factor cannot require MFA (it would lock them out); a viewer cannot change it", async () => {
    const admin = await sessionCookie(t.users.admin.id);
    const r = await call(putPolicy, { method: "PUT", cookie: admin.cookie, org: t.org.slug, body });
    expect(r.status).toBe(409);
    const viewer = await sessionCookie(t.users.viewer.id);
    expect((await call(putPolicy, { method: "PUT", cookie: viewer.cookie, org: t.org.slug, body })).status).toBe(403);
    expect(
      (
        await call(putPolicy, {
          method: "PUT",
          cookie: admin.cookie,
          org: t.org.slug,
          body: { mfa_policy: "sometimes" },
        })
      ).status,
    ).toBe(422);
  });

  it("with a factor and a step-up the policy applies on every request: members without a factor may only enrol", async () => {
    const s = await sessionCookie(t.users.admin.id);
    const begun = await call(beginTotp, { method: "POST", cookie: s.cookie });
    const secret = begun.json.secret as string;
    expect(
      (await call(confirmTotp, { method: "POST", cookie: s.cookie, body: { code: await generate({ secret }) } }))
        .status,
    ).toBe(200);
    const noStep = await call(putPolicy, { method: "PUT", cookie: s.cookie, org: t.org.slug, body });
    expect(noStep.json.code).toBe("step_up_required");
    const g = await call(beginStepUpRoute, {
      method: "POST",
      cookie: s.cookie,
      body: { purpose: "org.mfa_policy", org: t.org.slug },
    });
    await owner().query(`UPDATE user_totp SET last_used_step = NULL WHERE user_id = $1`, [t.users.admin.id]);
    expect(
      (
        await call(verifyStepUpRoute, {
          method: "POST",
          cookie: s.cookie,
          params: { id: g.json.step_up_id },
          body: { method: "totp", code: await generate({ secret }) },
        })
      ).status,
    ).toBe(200);
    const ok = await call(putPolicy, {
      method: "PUT",
      cookie: s.cookie,
      org: t.org.slug,
      body,
      headers: { "x-warden-step-up": g.json.step_up_id },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.mfa_policy).toBe("everyone");
    const ev = (
      await owner().query(`SELECT data FROM audit_events WHERE org_id = $1 AND action = 'org.mfa_policy_changed'`, [
        t.org.id,
      ])
    ).rows;
    expect(ev[0].data).toMatchObject({ from: { mfa_policy: "off" }, to: { mfa_policy: "everyone" }, step_up: "totp" });

    // a member without a factor: every org route refuses, their account page does not
    const viewer = await sessionCookie(t.users.viewer.id);
    const denied = await call(members, { cookie: viewer.cookie, org: t.org.slug });
    expect(denied.status).toBe(403);
    expect(denied.json.code).toBe("mfa_enrollment_required");
    expect((await call(beginTotp, { method: "POST", cookie: viewer.cookie })).status).toBe(201);
    // the admin's session used TOTP (enrolment proves it): allowed
    expect((await call(getPolicy, { cookie: s.cookie, org: t.org.slug })).status).toBe(200);
    // a grace period lets members in until it ends
    await owner().query(`UPDATE organizations SET mfa_grace_until = now() + interval '1 day' WHERE id = $1`, [
      t.org.id,
    ]);
    expect((await call(members, { cookie: viewer.cookie, org: t.org.slug })).status).toBe(403); // viewer lacks members:read
    const approver = await sessionCookie(t.users.approver.id);
    const { GET: approvals } = await import("@/app/api/v1/approvals/route");
    expect((await call(approvals, { cookie: approver.cookie, org: t.org.slug })).status).toBe(200);
    await owner().query(`UPDATE organizations SET mfa_grace_until = NULL WHERE id = $1`, [t.org.id]);
    expect((await call(approvals, { cookie: approver.cookie, org: t.org.slug })).json.code).toBe(
      "mfa_enrollment_required",
    );
  });
});
