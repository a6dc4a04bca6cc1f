import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as members } from "@/app/api/v1/members/route";
import { DELETE as signOut, GET as whoami } from "@/app/api/v1/session/route";
import { resolveSessionToken } from "@/lib/auth/sessions";
import { signInWithPassword } from "@/lib/auth/sign-in";
import { closeDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { provisionMember } from "@/lib/members/provision-member";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, TEST_PASSWORD, uniqueSlug, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";

let a: TestOrg;
let b: TestOrg;
const meta = { ip: "198.51.100.7", userAgent: "vitest" };

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("auth-a"), createTestOrg("auth-b")]);
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function events(orgId: string, action: string) {
  return (
    await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 AND action = $2 ORDER BY seq`, [orgId, action])
  ).rows;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return e instanceof AppError ? e.code : `other: ${String(e)}`;
  }
}

describe("password sign-in", () => {
  it("creates a server-side session (only the token's hash stored) and audits the sign-in in every organization of the user", async () => {
    // a user in two organizations
    await provisionMember({
      orgId: b.org.id,
      email: a.users.approver.email,
      name: "x",
      role: "viewer",
      password: TEST_PASSWORD,
    });
    const r = await signInWithPassword({ email: a.users.approver.email, password: TEST_PASSWORD }, meta);
    const row = (await owner().query(`SELECT * FROM sessions WHERE id = $1`, [r.sessionId])).rows[0];
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.token_hash).not.toBe(r.sessionToken);
    expect(row.ip).toBe(meta.ip);
    for (const org of [a, b]) {
      const ev = (await events(org.org.id, "auth.sign_in")).filter((e) => e.target_id === r.sessionId);
      expect(ev).toHaveLength(1);
      expect(ev[0]).toMatchObject({ actor_id: a.users.approver.id, ip: meta.ip });
    }
  });

  it("rejects a wrong password and an unknown email with the same error; the failure is audited for a known user only", async () => {
    const before = (await events(a.org.id, "auth.sign_in_failed")).length;
    expect(
      await codeOf(signInWithPassword({ email: a.users.viewer.email, password: "wrong-password-123" }, meta)),
    ).toBe("unauthenticated");
    expect(
      await codeOf(signInWithPassword({ email: `${uniqueSlug("ghost")}@example.com`, password: "whatever-123" }, meta)),
    ).toBe("unauthenticated");
    const after = await events(a.org.id, "auth.sign_in_failed");
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)).toMatchObject({ actor_id: a.users.viewer.id, data: { reason: "bad_credentials" } });
  });

  it("rejects malformed input without throwing anything but unauthenticated", async () => {
    for (const input of [null, {}, { email: 1, password: 2 }, { email: "a@b.c", password: "x".repeat(10_000) }]) {
      expect(await codeOf(signInWithPassword(input, meta))).toBe("unauthenticated");
    }
  });

  it("locks an account out after 10 failures (even with the right password), and records it", async () => {
    const t = await createTestOrg("lock");
    const email = t.users.viewer.email;
    for (let i = 0; i < 10; i++) {
      expect(
        await codeOf(
          signInWithPassword({ email, password: `nope-nope-${i}` }, { ip: `203.0.113.${i}`, userAgent: null }),
        ),
      ).toBe("unauthenticated");
    }
    expect(await codeOf(signInWithPassword({ email, password: TEST_PASSWORD }, meta))).toBe("rate_limited");
    const ev = await events(t.org.id, "auth.sign_in_failed");
    expect(ev.at(-1)).toMatchObject({ data: { reason: "rate_limited" } });
    // other accounts are unaffected
    expect(await codeOf(signInWithPassword({ email: t.users.admin.email, password: TEST_PASSWORD }, meta))).toBe("ok");
  });
});

describe("session resolution on every request", () => {
  it("a revoked session is refused at once", async () => {
    const s = await sessionCookie(a.users.viewer.id);
    expect(await resolveSessionToken(s.token)).not.toBeNull();
    await owner().query(`UPDATE sessions SET revoked_at = now() WHERE id = $1`, [s.sessionId]);
    expect(await resolveSessionToken(s.token)).toBeNull();
    expect((await call(whoami, { cookie: s.cookie })).status).toBe(401);
  });

  it("the idle timeout ends a session and revokes it", async () => {
    const s = await sessionCookie(a.users.viewer.id);
    await owner().query(`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE id = $1`, [
      s.sessionId,
    ]);
    expect(await resolveSessionToken(s.token)).toBeNull();
    const row = (await owner().query(`SELECT revoked_at, revoke_reason FROM sessions WHERE id = $1`, [s.sessionId]))
      .rows[0];
    expect(row.revoke_reason).toBe("idle_timeout");
    expect(row.revoked_at).not.toBeNull();
  });

  it("the absolute timeout ends a session even when it is active", async () => {
    const s = await sessionCookie(a.users.viewer.id);
    await owner().query(
      `UPDATE sessions SET created_at = now() - interval '8 hours 1 minute', last_seen_at = now() WHERE id = $1`,
      [s.sessionId],
    );
    expect(await resolveSessionToken(s.token)).toBeNull();
    expect(
      (await owner().query(`SELECT revoke_reason FROM sessions WHERE id = $1`, [s.sessionId])).rows[0].revoke_reason,
    ).toBe("absolute_timeout");
  });

  it("timeouts come from the organization's settings (the strictest of the user's organizations)", async () => {
    const t = await createTestOrg("strict");
    await owner().query(`UPDATE organizations SET session_idle_timeout_seconds = 120 WHERE id = $1`, [t.org.id]);
    const s = await sessionCookie(t.users.viewer.id);
    await owner().query(`UPDATE sessions SET last_seen_at = now() - interval '3 minutes' WHERE id = $1`, [s.sessionId]);
    expect(await resolveSessionToken(s.token)).toBeNull();
    const fresh = await sessionCookie(t.users.viewer.id);
    await owner().query(`UPDATE sessions SET last_seen_at = now() - interval '1 minute' WHERE id = $1`, [
      fresh.sessionId,
    ]);
    expect(await resolveSessionToken(fresh.token)).not.toBeNull();
  });

  it("a cookie signed with another secret, or naming an unknown session, is refused", async () => {
    const forged = await encode({
      token: { sid: "x".repeat(43) },
      secret: "another-secret-another-secret-another-secret",
    });
    expect((await call(whoami, { cookie: `next-auth.session-token=${forged}` })).status).toBe(401);
    const unknown = await encode({ token: { sid: "y".repeat(43) }, secret: process.env.NEXTAUTH_SECRET! });
    expect((await call(whoami, { cookie: `next-auth.session-token=${unknown}` })).status).toBe(401);
  });
});

describe("sign-out", () => {
  it("revokes the session row, audits it, and the old cookie no longer works", async () => {
    const s = await sessionCookie(a.users.auditor.id);
    expect((await call(whoami, { cookie: s.cookie })).status).toBe(200);
    const res = await call(signOut, { method: "DELETE", cookie: s.cookie });
    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toMatch(/next-auth\.session-token=;.*Max-Age=0/);
    expect((await call(whoami, { cookie: s.cookie })).status).toBe(401);
    expect((await call(members, { cookie: s.cookie, org: a.org.slug })).status).toBe(401);
    const ev = (await events(a.org.id, "auth.sign_out")).filter((e) => e.target_id === s.sessionId);
    expect(ev).toHaveLength(1);
    expect(ev[0].ip).toBe("127.0.0.1");
  });

  it("GET /api/v1/session lists only the caller's organizations", async () => {
    const s = await sessionCookie(b.users.admin.id);
    const res = await call(whoami, { cookie: s.cookie });
    expect(res.json.organizations).toEqual([{ slug: b.org.slug, name: b.org.name, role: "admin" }]);
  });
});
