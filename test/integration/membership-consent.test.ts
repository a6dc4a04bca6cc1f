import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as addMember } from "@/app/api/v1/members/route";
import { PATCH as changeRole } from "@/app/api/v1/members/[userId]/route";
import { POST as acceptWithPassword } from "@/app/api/v1/invitations/accept/route";
import { POST as respond } from "@/app/api/v1/invitations/respond/route";
import { GET as whoami } from "@/app/api/v1/session/route";
import { GET as listAgents } from "@/app/api/v1/agents/route";
import { membershipsOf } from "@/lib/auth/principal";
import { closeDb } from "@/lib/db/client";
import { lookupSession } from "@/lib/db/lookup";
import { sha256Hex } from "@/lib/security/hash";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, uniqueSlug, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";

let a: TestOrg;
let b: TestOrg;
let aAdmin: string;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("consent-a"), createTestOrg("consent-b")]);
  aAdmin = (await sessionCookie(a.users.admin.id)).cookie;
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function invite(email: string, role = "viewer") {
  const res = await call(addMember, { method: "POST", cookie: aAdmin, org: a.org.slug, body: { email, role } });
  expect(res.status).toBe(201);
  return res;
}

const tokenOf = (res: { json: { invitation: { path: string } } }) => res.json.invitation.path.split("/").pop()!;

async function lastEvent(orgId: string) {
  return (await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`, [orgId]))
    .rows[0];
}

describe("adding an e-mail answers the same whether it has an account or not", () => {
  it("same status, same fields, same audit event; neither joins before accepting", async () => {
    const existing = await invite(b.users.auditor.email, "auditor");
    const existingEvent = await lastEvent(a.org.id);
    const fresh = await invite(`${uniqueSlug("new")}@example.com`, "auditor");
    const freshEvent = await lastEvent(a.org.id);

    const shape = (r: typeof existing) => ({
      status: r.status,
      member: { ...r.json.member, user_id: typeof r.json.member.user_id, email: typeof r.json.member.email },
      invitation: Object.keys(r.json.invitation).sort(),
      email_status: r.json.invitation.email_status,
    });
    expect(shape(existing)).toEqual(shape(fresh));
    expect(existing.json.member.status).toBe("invited");
    expect(Object.keys(existingEvent.data).sort()).toEqual(Object.keys(freshEvent.data).sort());
    expect(existingEvent.data.invited).toBe(true);
    expect(freshEvent.data.invited).toBe(true);

    // The existing account is not in the organization yet.
    expect((await membershipsOf(b.users.auditor.id)).map((m) => m.org.id)).not.toContain(a.org.id);
    const cookie = (await sessionCookie(b.users.auditor.id)).cookie;
    const me = await call(whoami, { cookie });
    expect(me.json.organizations.map((o: { slug: string }) => o.slug)).not.toContain(a.org.slug);
    expect((await call(listAgents, { cookie, org: a.org.slug })).status).toBe(404);
  });
});

describe("an organization's session policy governs only members who accepted", () => {
  it("a pending invitation cannot shorten a foreign user's sessions; acceptance makes it apply", async () => {
    const target = b.users.approver;
    await owner().query(`UPDATE organizations SET session_idle_timeout_seconds = 60 WHERE id = $1`, [a.org.id]);
    try {
      const res = await invite(target.email);
      const { token, cookie } = await sessionCookie(target.id);
      expect((await lookupSession(sha256Hex(token), 60))?.idle_timeout_seconds).toBe(1800);

      const ok = await call(respond, { method: "POST", cookie, body: { token: tokenOf(res), accept: true } });
      expect(ok.status).toBe(200);
      expect(ok.json).toEqual({ org_slug: a.org.slug, accepted: true });
      expect((await lookupSession(sha256Hex(token), 60))?.idle_timeout_seconds).toBe(60);
    } finally {
      await owner().query(`UPDATE organizations SET session_idle_timeout_seconds = 1800 WHERE id = $1`, [a.org.id]);
    }
  });

  it("last-seen is written well within a short idle timeout (not once a minute)", async () => {
    await owner().query(`UPDATE organizations SET session_idle_timeout_seconds = 60 WHERE id = $1`, [b.org.id]);
    try {
      const { token, sessionId } = await sessionCookie(b.users.viewer.id);
      // Used 40 s ago: still inside a 60 s idle timeout, and past a tenth of it.
      await owner().query(`UPDATE sessions SET last_seen_at = now() - interval '40 seconds' WHERE id = $1`, [
        sessionId,
      ]);
      expect((await lookupSession(sha256Hex(token), 60))?.status).toBe("active");
      const seen = await owner().query(
        `SELECT now() - last_seen_at < interval '5 seconds' AS fresh FROM sessions WHERE id = $1`,
        [sessionId],
      );
      expect(seen.rows[0].fresh).toBe(true);
    } finally {
      await owner().query(`UPDATE organizations SET session_idle_timeout_seconds = 1800 WHERE id = $1`, [b.org.id]);
    }
  });
});

describe("accepting and declining", () => {
  it("only the invited person, signed in, can answer; once; audited", async () => {
    const target = b.users.viewer;
    const res = await invite(target.email);
    const token = tokenOf(res);
    // Someone else signed in: the same 404 as a bad link.
    const other = await call(respond, { method: "POST", cookie: aAdmin, body: { token, accept: true } });
    expect(other.status).toBe(404);
    // Setting a password through the link is for new accounts only: an existing password is never replaced.
    const takeover = await call(acceptWithPassword, {
      method: "POST",
      body: { token, name: "Mallory", password: "a-brand-new-password-123" },
    });
    expect(takeover.status).toBe(404);
    const cookie = (await sessionCookie(target.id)).cookie;
    expect((await call(respond, { method: "POST", cookie, body: { token, accept: true } })).status).toBe(200);
    expect(await lastEvent(a.org.id)).toMatchObject({
      action: "member.invitation_accepted",
      actor_id: target.id,
      target_id: target.id,
    });
    expect((await membershipsOf(target.id)).map((m) => m.org.id)).toContain(a.org.id);
    // Replay: used.
    expect((await call(respond, { method: "POST", cookie, body: { token, accept: true } })).status).toBe(404);
    expect(
      (await call(respond, { method: "POST", cookie, body: { token: "x".repeat(43), accept: true } })).status,
    ).toBe(404);
  });

  it("declining removes the pending membership and is audited", async () => {
    const target = b.users.admin;
    const res = await invite(target.email);
    const cookie = (await sessionCookie(target.id)).cookie;
    const declined = await call(respond, { method: "POST", cookie, body: { token: tokenOf(res), accept: false } });
    expect(declined.status).toBe(200);
    expect(declined.json.accepted).toBe(false);
    expect(await lastEvent(a.org.id)).toMatchObject({ action: "member.invitation_declined", actor_id: target.id });
    const rows = await owner().query(`SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2`, [
      a.org.id,
      target.id,
    ]);
    expect(rows.rowCount).toBe(0);
  });

  it("422 for a malformed answer", async () => {
    const cookie = (await sessionCookie(b.users.viewer.id)).cookie;
    const res = await call(respond, { method: "POST", cookie, body: { token: "x".repeat(43), accept: "yes" } });
    expect(res.status).toBe(422);
  });
});

describe("an invitation grants nothing before it is accepted", () => {
  it("an invited admin does not count as the organization's other admin", async () => {
    const t = await createTestOrg("consent-admins");
    const cookie = (await sessionCookie(t.users.admin.id)).cookie;
    const add = await call(addMember, {
      method: "POST",
      cookie,
      org: t.org.slug,
      body: { email: `${uniqueSlug("adm")}@example.com`, role: "admin" },
    });
    expect(add.status).toBe(201);
    const demote = await call(changeRole, {
      method: "PATCH",
      cookie,
      org: t.org.slug,
      params: { userId: t.users.admin.id },
      body: { role: "viewer" },
    });
    expect(demote.status).toBe(409);
  });
});
