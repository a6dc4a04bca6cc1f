import { generate } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as beginTotp } from "@/app/api/v1/account/totp/route";
import { POST as confirmTotp } from "@/app/api/v1/account/totp/confirm/route";
import { GET as MEMBERS } from "@/app/api/v1/members/route";
import { POST as DISABLE } from "@/app/api/v1/sso/connections/[id]/disable/route";
import { GET as ENFORCEMENT, PUT as SET_ENFORCEMENT } from "@/app/api/v1/sso/enforcement/route";
import { POST as secondFactor } from "@/app/api/v1/session/second-factor/route";
import { signInWithPassword } from "@/lib/auth/sign-in";
import { ssoAccess } from "@/lib/auth/sso-policy";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, TEST_PASSWORD, type TestOrg } from "../helpers/fixtures";
import { call, cookieForToken, cookieFromSetCookie, sessionCookie } from "../helpers/http";
import { startOidcIdp, type OidcIdp } from "../helpers/idp/oidc-provider";
import {
  callbackPrefix,
  createOidcConnection,
  deliverCallback,
  sessionOf,
  startAndAuthorize,
  testAndEnable,
  verifyDomainFor,
} from "../helpers/sso";

const meta = { ip: "198.51.100.30", userAgent: "vitest" };
let a: TestOrg;
let other: TestOrg;
let idp: OidcIdp;
let admin: string;
let conn: string;
let domain: string;
let adminSso: string;

beforeAll(async () => {
  [a, other] = await Promise.all([createTestOrg("ssoonly"), createTestOrg("ssofree")]);
  idp = await startOidcIdp();
  admin = (await sessionCookie(a.users.admin.id)).cookie;
  domain = `${a.org.slug}.example`;
  await verifyDomainFor(admin, a.org.slug, domain);
  conn = await createOidcConnection(admin, a.org.slug, idp);
  idp.allowRedirect(callbackPrefix(conn));
  // Someone else's test sign-in enables the connection.
  idp.setUser({ sub: "someone", email: `someone@${domain}`, email_verified: true });
  await testAndEnable(admin, a.org.slug, conn);
});

afterAll(async () => {
  await idp?.close();
  await closeOwner();
  await closeDb();
});

const events = async (orgId: string, action: string) =>
  (await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 AND action = $2 ORDER BY seq`, [orgId, action]))
    .rows;

async function ssoSession(email: string, sub: string): Promise<string> {
  idp.setUser({ sub, email, email_verified: true });
  const { callbackUrl, binding } = await startAndAuthorize(`identifier=${a.org.slug}`, conn);
  const res = await deliverCallback(conn, callbackUrl, binding);
  const cookie = sessionOf(res);
  expect(cookie, res.headers.get("location") ?? "").toBeTruthy();
  return cookie!;
}

describe("turning SSO-only on", () => {
  it("409 until the enforcing admin ran a test sign-in as themself", async () => {
    const before = await call(ENFORCEMENT, { cookie: admin, org: a.org.slug });
    expect(before.json).toMatchObject({ enabled: false });
    expect(before.json.blocked_by).toContain(a.users.admin.email);
    const res = await call(SET_ENFORCEMENT, { method: "PUT", cookie: admin, org: a.org.slug, body: { enabled: true } });
    expect(res.status).toBe(409);
  });

  it("403 for a non-admin; 422 for a bad body", async () => {
    const viewer = (await sessionCookie(a.users.viewer.id)).cookie;
    expect(
      (await call(SET_ENFORCEMENT, { method: "PUT", cookie: viewer, org: a.org.slug, body: { enabled: true } })).status,
    ).toBe(403);
    expect(
      (await call(SET_ENFORCEMENT, { method: "PUT", cookie: admin, org: a.org.slug, body: { enabled: "yes" } })).status,
    ).toBe(422);
  });

  it("on after the admin's own test sign-in; audited; the connection cannot then be disabled", async () => {
    // The admin's IdP account carries their Warden e-mail (their domain is verified too).
    await verifyDomainFor(admin, a.org.slug, a.users.admin.email.split("@")[1]!);
    idp.setUser({ sub: "the-admin", email: a.users.admin.email, email_verified: true });
    const { callbackUrl, binding } = await startAndAuthorize(`connection=${conn}&test=1`, conn, admin);
    await deliverCallback(conn, callbackUrl, binding);
    const res = await call(SET_ENFORCEMENT, { method: "PUT", cookie: admin, org: a.org.slug, body: { enabled: true } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toMatchObject({ enabled: true, enabled_by: a.users.admin.id });
    expect((await events(a.org.id, "sso.enforcement_enabled")).length).toBe(1);
    // The admin's own password session is now refused here too; their SSO session works.
    expect((await call(ENFORCEMENT, { cookie: admin, org: a.org.slug })).status).toBe(403);
    adminSso = await ssoSession(a.users.admin.email, "the-admin");
    expect((await call(ENFORCEMENT, { cookie: adminSso, org: a.org.slug })).json.enabled).toBe(true);
    const disabled = await call(DISABLE, { method: "POST", cookie: adminSso, org: a.org.slug, params: { id: conn } });
    expect(disabled.status).toBe(409);
  });
});

describe("while SSO-only is on", () => {
  it("a member whose only organization is SSO-only cannot sign in with a password", async () => {
    await expect(
      signInWithPassword({ email: a.users.viewer.email, password: TEST_PASSWORD }, meta),
    ).rejects.toMatchObject({ code: "forbidden" });
    const failed = (await events(a.org.id, "auth.sign_in_failed")).at(-1);
    expect(failed.data.reason).toBe("sso_required");
  });

  it("a password session of a member of two organizations works in the other one only", async () => {
    const { provisionMember } = await import("@/lib/members/provision-member");
    await provisionMember({
      orgId: other.org.id,
      email: a.users.auditor.email,
      name: "both",
      role: "viewer",
      password: TEST_PASSWORD,
    });
    const r = await signInWithPassword({ email: a.users.auditor.email, password: TEST_PASSWORD }, meta);
    const cookie = await cookieForToken(a.users.auditor.id, r.sessionToken);
    const { GET: AGENTS } = await import("@/app/api/v1/agents/route");
    expect((await call(AGENTS, { cookie, org: other.org.slug })).status).toBe(200);
    const refused = await call(AGENTS, { cookie, org: a.org.slug });
    expect(refused.status).toBe(403);
    expect(refused.json.detail).toContain("requires single sign-on");
  });

  it("an SSO session through this organization's IdP works", async () => {
    const cookie = await ssoSession(`member@${domain}`, "member");
    const { GET: OVERVIEW } = await import("@/app/api/v1/session/route");
    const who = await call(OVERVIEW, { cookie });
    expect(who.json.session.auth_methods).toEqual(["sso", `sso_org:${a.org.id}`]);
    // Members:read needs admin; whoami-like access to the org is what matters: a viewer sees agents.
    const { GET: AGENTS } = await import("@/app/api/v1/agents/route");
    expect((await call(AGENTS, { cookie, org: a.org.slug })).status).toBe(200);
  });

  it("an SSO session of another organization's IdP does not count here", () => {
    const m = { org: { id: a.org.id, slug: a.org.slug, name: a.org.name }, role: "viewer" as const, ssoEnforced: true };
    expect(ssoAccess({ authMethods: ["sso", `sso_org:${other.org.id}`] }, m)).toBe("refused");
    expect(ssoAccess({ authMethods: ["webauthn"] }, m)).toBe("refused");
    expect(ssoAccess({ authMethods: ["pwd", "otp"] }, m)).toBe("refused");
    expect(ssoAccess({ authMethods: ["pwd", "recovery"] }, m)).toBe("refused");
    expect(ssoAccess({ authMethods: ["pwd", "recovery"] }, { ...m, role: "admin" })).toBe("break_glass");
  });

  it("break-glass: an admin's password + recovery code gets in, is audited, and every admin is notified", async () => {
    // The admin enrols TOTP (and so gets recovery codes) in an SSO session.
    const s = await ssoSession(a.users.admin.email, "the-admin");
    const begun = await call(beginTotp, { method: "POST", cookie: s });
    expect(begun.status, JSON.stringify(begun.json)).toBe(201);
    const code = await generate({ secret: begun.json.secret, epoch: Math.floor(Date.now() / 1000) });
    const done = await call(confirmTotp, { method: "POST", cookie: s, body: { code } });
    expect(done.status).toBe(200);
    const recovery = done.json.recovery_codes as string[];

    // Password + TOTP is still refused here; password + recovery code is break-glass.
    const p = await signInWithPassword({ email: a.users.admin.email, password: TEST_PASSWORD }, meta);
    expect(p.mfaPending).toBe(true);
    const pending = await cookieForToken(a.users.admin.id, p.sessionToken);
    const res = await call(secondFactor, {
      method: "POST",
      cookie: pending,
      body: { method: "recovery_code", code: recovery[0] },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const cookie = cookieFromSetCookie(res);
    expect((await call(MEMBERS, { cookie, org: a.org.slug })).status).toBe(200);
    const used = (await events(a.org.id, "sso.break_glass_used")).at(-1);
    expect(used.actor_id).toBe(a.users.admin.id);
    const admins = (
      await owner().query(`SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'admin'`, [a.org.id])
    ).rows.length;
    expect(used.data.notified_admins).toBe(admins);
    const notes = (
      await owner().query(`SELECT * FROM notifications WHERE org_id = $1 AND title = 'Break-glass sign-in'`, [a.org.id])
    ).rows;
    expect(notes.length).toBe(admins);
    expect(notes[0].severity).toBe("critical");
  });

  it("turning it off lets password sessions back in (audited)", async () => {
    const res = await call(SET_ENFORCEMENT, {
      method: "PUT",
      cookie: adminSso,
      org: a.org.slug,
      body: { enabled: false },
    });
    expect(res.status).toBe(200);
    expect((await events(a.org.id, "sso.enforcement_disabled")).length).toBe(1);
    const r = await signInWithPassword({ email: a.users.viewer.email, password: TEST_PASSWORD }, meta);
    expect(r.sessionToken).toBeTruthy();
  });
});
