import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET, POST } from "@/app/api/v1/members/route";
import { DELETE, PATCH } from "@/app/api/v1/members/[userId]/route";
import { POST as REISSUE } from "@/app/api/v1/members/[userId]/invitation/route";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, uniqueSlug, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";

let a: TestOrg;
let b: TestOrg;
const cookies: Record<string, string> = {};

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("mem-a"), createTestOrg("mem-b")]);
  for (const [key, id] of [
    ["aAdmin", a.users.admin.id],
    ["aViewer", a.users.viewer.id],
    ["aApprover", a.users.approver.id],
    ["bAdmin", b.users.admin.id],
  ] as const) {
    cookies[key] = (await sessionCookie(id)).cookie;
  }
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function headSeq(orgId: string): Promise<number> {
  return Number((await owner().query(`SELECT seq FROM audit_heads WHERE org_id = $1`, [orgId])).rows[0].seq);
}

async function lastEvent(orgId: string) {
  return (await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`, [orgId]))
    .rows[0];
}

/** Asserts the call changed nothing: no audit event, same memberships. */
async function expectNothingWritten(orgId: string, fn: () => Promise<unknown>) {
  const seq = await headSeq(orgId);
  const members = (
    await owner().query(`SELECT user_id, role FROM memberships WHERE org_id = $1 ORDER BY user_id`, [orgId])
  ).rows;
  await fn();
  expect(await headSeq(orgId)).toBe(seq);
  expect(
    (await owner().query(`SELECT user_id, role FROM memberships WHERE org_id = $1 ORDER BY user_id`, [orgId])).rows,
  ).toEqual(members);
}

describe("GET /api/v1/members", () => {
  it("200 for an admin, listing only this organization's members", async () => {
    const res = await call(GET, { cookie: cookies.aAdmin, org: a.org.slug });
    expect(res.status).toBe(200);
    expect(res.json.members.map((m: { email: string }) => m.email).sort()).toEqual(
      Object.values(a.users)
        .map((u) => u.email)
        .sort(),
    );
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
  it("401 without a session, as problem+json", async () => {
    const res = await call(GET, { org: a.org.slug });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.json).toMatchObject({ status: 401, code: "unauthenticated" });
    expect(res.json.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });
  it("401 for a forged or foreign session cookie", async () => {
    expect(
      (await call(GET, { cookie: "next-auth.session-token=eyJhbGciOiJkaXIifQ.garbage", org: a.org.slug })).status,
    ).toBe(401);
  });
  it("401 for a bearer credential (no API keys yet), never falling back to the cookie", async () => {
    expect(
      (await call(GET, { cookie: cookies.aAdmin, org: a.org.slug, headers: { authorization: "Bearer x" } })).status,
    ).toBe(401);
  });
  it("403 for a viewer", async () => {
    const res = await call(GET, { cookie: cookies.aViewer, org: a.org.slug });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe("forbidden");
  });
  it("404 for another organization, exactly as for an unknown one", async () => {
    const other = await call(GET, { cookie: cookies.aAdmin, org: b.org.slug });
    const unknown = await call(GET, { cookie: cookies.aAdmin, org: uniqueSlug("nope") });
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(other.json.detail).toBe(unknown.json.detail);
  });
  it("400 when the organization is not named", async () => {
    expect((await call(GET, { cookie: cookies.aAdmin })).status).toBe(400);
  });
  it("400 for a key in the query string", async () => {
    expect(
      (await call(GET, { cookie: cookies.aAdmin, org: a.org.slug, path: "/api/v1/members?api_key=wdn_live_x" })).status,
    ).toBe(400);
  });
});

describe("POST /api/v1/members", () => {
  it("201 invites an existing account (it joins only when it accepts) and audits it", async () => {
    const res = await call(POST, {
      method: "POST",
      cookie: cookies.aAdmin,
      org: a.org.slug,
      body: { email: b.users.viewer.email.toUpperCase(), role: "auditor" },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      member: { email: b.users.viewer.email, role: "auditor", status: "invited" },
      invitation: { path: expect.stringMatching(/^\/invite\//), email_status: "not_configured" },
    });
    const ev = await lastEvent(a.org.id);
    expect(ev).toMatchObject({
      action: "member.added",
      actor_type: "user",
      actor_id: a.users.admin.id,
      target_id: b.users.viewer.id,
      ip: "127.0.0.1",
    });
    expect(ev.data).toMatchObject({ email: b.users.viewer.email, role: "auditor" });
  });
  it("201 for a new email creates the account with a one-time invitation link", async () => {
    const email = `${uniqueSlug("new")}@example.com`;
    const res = await call(POST, {
      method: "POST",
      cookie: cookies.aAdmin,
      org: a.org.slug,
      body: { email, role: "viewer" },
    });
    expect(res.status).toBe(201);
    expect(res.json.member.status).toBe("invited");
    expect(res.json.invitation.path).toMatch(/^\/invite\/[A-Za-z0-9_-]{43}$/);
    const token = res.json.invitation.path.split("/").pop();
    const stored = (
      await owner().query(`SELECT token_hash FROM invitations WHERE org_id = $1 ORDER BY created_at DESC LIMIT 1`, [
        a.org.id,
      ])
    ).rows[0];
    expect(stored.token_hash).not.toContain(token);
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });
  it("409 when already a member; nothing written", async () => {
    await expectNothingWritten(a.org.id, async () => {
      const res = await call(POST, {
        method: "POST",
        cookie: cookies.aAdmin,
        org: a.org.slug,
        body: { email: a.users.viewer.email, role: "admin" },
      });
      expect(res.status).toBe(409);
    });
  });
  it.each([
    [{ email: "not-an-email", role: "viewer" }],
    [{ email: "x@example.com", role: "owner" }],
    [{ email: 42, role: "viewer" }],
    [{}],
    [[]],
  ])("422 for %j; nothing written", async (body) => {
    await expectNothingWritten(a.org.id, async () => {
      const res = await call(POST, { method: "POST", cookie: cookies.aAdmin, org: a.org.slug, body });
      expect(res.status).toBe(422);
      expect(res.json.errors.length).toBeGreaterThan(0);
    });
  });
  it("400 for malformed JSON, 415 for a form body, 413 for an oversized body", async () => {
    await expectNothingWritten(a.org.id, async () => {
      const base = { method: "POST", cookie: cookies.aAdmin, org: a.org.slug } as const;
      expect(
        (await call(POST, { ...base, rawBody: "{", headers: { "content-type": "application/json" } })).status,
      ).toBe(400);
      expect(
        (
          await call(POST, {
            ...base,
            rawBody: "email=x",
            headers: { "content-type": "application/x-www-form-urlencoded" },
          })
        ).status,
      ).toBe(415);
      expect(
        (await call(POST, { ...base, body: { email: "x@example.com", role: "viewer", pad: "x".repeat(70_000) } }))
          .status,
      ).toBe(413);
    });
  });
  it("403 for a cross-origin request carrying the admin's cookie", async () => {
    await expectNothingWritten(a.org.id, async () => {
      const res = await call(POST, {
        method: "POST",
        cookie: cookies.aAdmin,
        org: a.org.slug,
        body: { email: "csrf@example.com", role: "admin" },
        headers: { origin: "https://evil.example" },
      });
      expect(res.status).toBe(403);
    });
  });
  it("403 for an approver (members:write is admin only)", async () => {
    const res = await call(POST, {
      method: "POST",
      cookie: cookies.aApprover,
      org: a.org.slug,
      body: { email: "x@example.com", role: "viewer" },
    });
    expect(res.status).toBe(403);
  });
});

describe("PATCH /api/v1/members/{userId}", () => {
  it("200 changes a role and records from/to", async () => {
    const t = await createTestOrg("role");
    const cookie = (await sessionCookie(t.users.admin.id)).cookie;
    const res = await call(PATCH, {
      method: "PATCH",
      cookie,
      org: t.org.slug,
      params: { userId: t.users.viewer.id },
      body: { role: "approver" },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ user_id: t.users.viewer.id, role: "approver" });
    expect(await lastEvent(t.org.id)).toMatchObject({
      action: "member.role_changed",
      data: { from: "viewer", to: "approver", email: t.users.viewer.email },
    });
  });
  it("404 for a member of another organization; nothing written in either", async () => {
    await expectNothingWritten(b.org.id, () =>
      expectNothingWritten(a.org.id, async () => {
        const res = await call(PATCH, {
          method: "PATCH",
          cookie: cookies.aAdmin,
          org: a.org.slug,
          params: { userId: b.users.admin.id },
          body: { role: "viewer" },
        });
        expect(res.status).toBe(404);
      }),
    );
  });
  it("404 for a malformed id", async () => {
    const res = await call(PATCH, {
      method: "PATCH",
      cookie: cookies.aAdmin,
      org: a.org.slug,
      params: { userId: "1 OR 1=1" },
      body: { role: "viewer" },
    });
    expect(res.status).toBe(404);
  });
  it("409 when demoting the last admin", async () => {
    const t = await createTestOrg("last");
    const cookie = (await sessionCookie(t.users.admin.id)).cookie;
    await expectNothingWritten(t.org.id, async () => {
      const res = await call(PATCH, {
        method: "PATCH",
        cookie,
        org: t.org.slug,
        params: { userId: t.users.admin.id },
        body: { role: "viewer" },
      });
      expect(res.status).toBe(409);
      expect(res.json.detail).toMatch(/at least one admin/);
    });
  });
  it("two admins demoting each other at the same time: exactly one succeeds", async () => {
    const t = await createTestOrg("race");
    const promote = await call(PATCH, {
      method: "PATCH",
      cookie: (await sessionCookie(t.users.admin.id)).cookie,
      org: t.org.slug,
      params: { userId: t.users.approver.id },
      body: { role: "admin" },
    });
    expect(promote.status).toBe(200);
    const [c1, c2] = [
      (await sessionCookie(t.users.admin.id)).cookie,
      (await sessionCookie(t.users.approver.id)).cookie,
    ];
    const results = await Promise.all([
      call(PATCH, {
        method: "PATCH",
        cookie: c1,
        org: t.org.slug,
        params: { userId: t.users.approver.id },
        body: { role: "viewer" },
      }),
      call(PATCH, {
        method: "PATCH",
        cookie: c2,
        org: t.org.slug,
        params: { userId: t.users.admin.id },
        body: { role: "viewer" },
      }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    // The loser either hits the last-admin rule (409) or has just lost admin rights itself (403).
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const admins = (
      await owner().query(`SELECT count(*)::int AS n FROM memberships WHERE org_id = $1 AND role = 'admin'`, [t.org.id])
    ).rows[0].n;
    expect(admins).toBe(1);
  });
});

describe("DELETE /api/v1/members/{userId}", () => {
  it("204 removes a member, audited; their next request to this organization is refused", async () => {
    const t = await createTestOrg("rm");
    const admin = (await sessionCookie(t.users.admin.id)).cookie;
    const victim = (await sessionCookie(t.users.auditor.id)).cookie;
    expect((await call(GET, { cookie: victim, org: t.org.slug })).status).toBe(403);
    const res = await call(DELETE, {
      method: "DELETE",
      cookie: admin,
      org: t.org.slug,
      params: { userId: t.users.auditor.id },
    });
    expect(res.status).toBe(204);
    expect(await lastEvent(t.org.id)).toMatchObject({ action: "member.removed", target_id: t.users.auditor.id });
    expect((await call(GET, { cookie: victim, org: t.org.slug })).status).toBe(404);
  });
  it("409 when removing the last admin", async () => {
    const t = await createTestOrg("rmlast");
    const cookie = (await sessionCookie(t.users.admin.id)).cookie;
    const res = await call(DELETE, { method: "DELETE", cookie, org: t.org.slug, params: { userId: t.users.admin.id } });
    expect(res.status).toBe(409);
  });
  it("404 for another organization's member", async () => {
    const res = await call(DELETE, {
      method: "DELETE",
      cookie: cookies.bAdmin,
      org: b.org.slug,
      params: { userId: a.users.viewer.id },
    });
    expect(res.status).toBe(404);
    expect(
      (
        await owner().query(`SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2`, [
          a.org.id,
          a.users.viewer.id,
        ])
      ).rowCount,
    ).toBe(1);
  });
});

describe("POST /api/v1/members/{userId}/invitation", () => {
  it("409 for a member who already has an account", async () => {
    const res = await call(REISSUE, {
      method: "POST",
      cookie: cookies.aAdmin,
      org: a.org.slug,
      params: { userId: a.users.viewer.id },
    });
    expect(res.status).toBe(409);
  });
  it("201 issues a new link and revokes the old one", async () => {
    const email = `${uniqueSlug("re")}@example.com`;
    const added = await call(POST, {
      method: "POST",
      cookie: cookies.aAdmin,
      org: a.org.slug,
      body: { email, role: "viewer" },
    });
    const res = await call(REISSUE, {
      method: "POST",
      cookie: cookies.aAdmin,
      org: a.org.slug,
      params: { userId: added.json.member.user_id },
    });
    expect(res.status).toBe(201);
    expect(res.json.path).not.toBe(added.json.invitation.path);
    const live = (
      await owner().query(`SELECT count(*)::int AS n FROM invitations WHERE user_id = $1 AND revoked_at IS NULL`, [
        added.json.member.user_id,
      ])
    ).rows[0].n;
    expect(live).toBe(1);
  });
});
