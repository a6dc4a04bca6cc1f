import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as addMember } from "@/app/api/v1/members/route";
import { POST as accept } from "@/app/api/v1/invitations/accept/route";
import { signInWithPassword } from "@/lib/auth/sign-in";
import { closeDb } from "@/lib/db/client";
import { getInvitation } from "@/lib/members/invitations";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, uniqueSlug, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";

let t: TestOrg;
let cookie: string;

beforeAll(async () => {
  t = await createTestOrg("inv");
  cookie = (await sessionCookie(t.users.admin.id)).cookie;
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function invite(): Promise<{ email: string; token: string; userId: string }> {
  const email = `${uniqueSlug("inv")}@example.com`;
  const res = await call(addMember, { method: "POST", cookie, org: t.org.slug, body: { email, role: "approver" } });
  expect(res.status).toBe(201);
  return { email, token: res.json.invitation.path.split("/").pop(), userId: res.json.member.user_id };
}

describe("POST /api/v1/invitations/accept", () => {
  it("200 sets the password once; the person can then sign in with their role", async () => {
    const inv = await invite();
    expect(await getInvitation(inv.token)).toMatchObject({ email: inv.email, org_slug: t.org.slug });
    const res = await call(accept, {
      method: "POST",
      body: { token: inv.token, name: "New Person", password: "a-long-enough-password" },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ email: inv.email, org_slug: t.org.slug });
    const signedIn = await signInWithPassword(
      { email: inv.email, password: "a-long-enough-password" },
      { ip: null, userAgent: null },
    );
    expect(signedIn.userId).toBe(inv.userId);
    const ev = (
      await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 AND action = 'member.invitation_accepted'`, [
        t.org.id,
      ])
    ).rows;
    expect(ev.some((e) => e.target_id === inv.userId)).toBe(true);
    // replay
    const again = await call(accept, {
      method: "POST",
      body: { token: inv.token, name: "Attacker", password: "another-password-123" },
    });
    expect(again.status).toBe(404);
    expect(await getInvitation(inv.token)).toBeNull();
  });

  it("404 for an unknown, revoked or expired token; nothing written", async () => {
    const inv = await invite();
    await owner().query(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [
      inv.userId,
    ]);
    for (const token of [inv.token, "A".repeat(43)]) {
      const res = await call(accept, {
        method: "POST",
        body: { token, name: "X", password: "a-long-enough-password" },
      });
      expect(res.status).toBe(404);
    }
    expect(
      (await owner().query(`SELECT password_hash FROM users WHERE id = $1`, [inv.userId])).rows[0].password_hash,
    ).toBeNull();
  });

  it("422 for a weak password, keeping the link usable", async () => {
    const inv = await invite();
    const res = await call(accept, { method: "POST", body: { token: inv.token, name: "X", password: "short" } });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].path).toBe("password");
    expect(await getInvitation(inv.token)).not.toBeNull();
  });

  it("413 for an oversized body", async () => {
    const res = await call(accept, { method: "POST", body: { token: "x".repeat(5000), name: "X", password: "y" } });
    expect(res.status).toBe(413);
  });
});
