import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as LIST, POST as CREATE } from "@/app/api/v1/sso/connections/route";
import { GET as GET_ONE, PATCH, DELETE } from "@/app/api/v1/sso/connections/[id]/route";
import { POST as ENABLE } from "@/app/api/v1/sso/connections/[id]/enable/route";
import { POST as DISABLE } from "@/app/api/v1/sso/connections/[id]/disable/route";
import { GET as LIST_DOMAINS, POST as ADD_DOMAIN } from "@/app/api/v1/sso/domains/route";
import { POST as VERIFY_DOMAIN } from "@/app/api/v1/sso/domains/[id]/verify/route";
import { GET as ROLE_REQUESTS } from "@/app/api/v1/sso/role-requests/route";
import { POST as DECIDE_ROLE } from "@/app/api/v1/sso/role-requests/[userId]/route";
import { GET as WHOAMI } from "@/app/api/v1/session/route";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, callRaw, sessionCookie } from "../helpers/http";
import { GET as START } from "@/app/api/sso/start/route";
import { ssoStartLimiterSpec } from "@/lib/sso/flow";
import { startOidcIdp, type OidcIdp } from "../helpers/idp/oidc-provider";
import { startRogueIdp, type Forgery, type RogueIdp } from "../helpers/idp/rogue-oidc";
import {
  callbackPrefix,
  createOidcConnection,
  deliverCallback,
  sessionOf,
  startAndAuthorize,
  testAndEnable,
  txtRecords,
  verifyDomainFor,
} from "../helpers/sso";
import { recordName } from "@/lib/sso/domains";

let a: TestOrg;
let b: TestOrg;
let idp: OidcIdp;
let rogue: RogueIdp;
let aAdmin: string;
let bAdmin: string;
let connA: string;
let domainA: string;
let domainB: string;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("ssoa"), createTestOrg("ssob")]);
  [idp, rogue] = await Promise.all([startOidcIdp(), startRogueIdp()]);
  aAdmin = (await sessionCookie(a.users.admin.id)).cookie;
  bAdmin = (await sessionCookie(b.users.admin.id)).cookie;
  domainA = `${a.org.slug}.example`;
  domainB = `${b.org.slug}.example`;
  await verifyDomainFor(aAdmin, a.org.slug, domainA);
  await verifyDomainFor(bAdmin, b.org.slug, domainB);
  connA = await createOidcConnection(aAdmin, a.org.slug, idp, {
    group_roles: [
      { group: "auditors", role: "auditor" },
      { group: "admins", role: "admin" },
    ],
  });
  idp.allowRedirect(callbackPrefix(connA));
  idp.setUser({ sub: "admin-a", email: a.users.admin.email.replace(/@.*/, `@${domainA}`), email_verified: true });
});

afterAll(async () => {
  await Promise.all([idp?.close(), rogue?.close()]);
  await closeOwner();
  await closeDb();
});

const headSeq = async (orgId: string) =>
  Number((await owner().query(`SELECT seq FROM audit_heads WHERE org_id = $1`, [orgId])).rows[0].seq);
const events = async (orgId: string, action: string) =>
  (await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 AND action = $2 ORDER BY seq`, [orgId, action]))
    .rows;
const userByEmail = async (email: string) =>
  (await owner().query(`SELECT id FROM users WHERE email = $1`, [email])).rows[0] as { id: string } | undefined;

async function signIn(identifier: string, conn = connA) {
  const { callbackUrl, binding } = await startAndAuthorize(`identifier=${encodeURIComponent(identifier)}`, conn);
  return deliverCallback(conn, callbackUrl, binding);
}

describe("connections API", () => {
  it("creates a connection without ever returning the client secret, audited", async () => {
    const res = await call(GET_ONE, { cookie: aAdmin, org: a.org.slug, params: { id: connA } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ protocol: "oidc", enabled: false, tested: false, has_client_secret: true });
    expect(JSON.stringify(res.json)).not.toContain(idp.clientSecret);
    const row = (await owner().query(`SELECT secret_encrypted FROM sso_connections WHERE id = $1`, [connA])).rows[0];
    expect(row.secret_encrypted).not.toContain(idp.clientSecret);
    const created = await events(a.org.id, "sso.connection_created");
    expect(created.at(-1).target_id).toBe(connA);
    expect(JSON.stringify(created)).not.toContain(idp.clientSecret);
  });

  it("422 for an http issuer shape it cannot use, with field errors", async () => {
    const res = await call(CREATE, {
      method: "POST",
      cookie: aAdmin,
      org: a.org.slug,
      body: { protocol: "oidc", name: "x", oidc: { issuer: "not a url", client_id: "c" }, client_secret: "s" },
    });
    expect(res.status).toBe(422);
    expect(res.json.errors.map((e: { path: string }) => e.path)).toContain("oidc.issuer");
  });

  it("403 for a non-admin, 401 without a session", async () => {
    const viewer = (await sessionCookie(a.users.viewer.id)).cookie;
    expect((await call(LIST, { cookie: viewer, org: a.org.slug })).status).toBe(403);
    expect((await call(LIST, { org: a.org.slug })).status).toBe(401);
  });

  it("404 for another organization's connection, on every verb", async () => {
    const seq = await headSeq(a.org.id);
    expect((await call(GET_ONE, { cookie: bAdmin, org: b.org.slug, params: { id: connA } })).status).toBe(404);
    expect(
      (
        await call(PATCH, {
          method: "PATCH",
          cookie: bAdmin,
          org: b.org.slug,
          params: { id: connA },
          body: { name: "x" },
        })
      ).status,
    ).toBe(404);
    expect(
      (await call(DELETE, { method: "DELETE", cookie: bAdmin, org: b.org.slug, params: { id: connA } })).status,
    ).toBe(404);
    expect(
      (await call(ENABLE, { method: "POST", cookie: bAdmin, org: b.org.slug, params: { id: connA } })).status,
    ).toBe(404);
    expect(await headSeq(a.org.id)).toBe(seq);
  });

  it("409: enabling needs a successful test sign-in of the current settings", async () => {
    const res = await call(ENABLE, { method: "POST", cookie: aAdmin, org: a.org.slug, params: { id: connA } });
    expect(res.status).toBe(409);
  });
});

describe("verified domains", () => {
  it("refuses a consumer mail domain", async () => {
    const res = await call(ADD_DOMAIN, {
      method: "POST",
      cookie: aAdmin,
      org: a.org.slug,
      body: { domain: "gmail.com" },
    });
    expect(res.status).toBe(409);
  });

  it("refuses a domain another organization verified (adding, and verifying)", async () => {
    const res = await call(ADD_DOMAIN, { method: "POST", cookie: aAdmin, org: a.org.slug, body: { domain: domainB } });
    expect(res.status).toBe(409);
    expect(res.json.detail).toContain("another organization");
  });

  it("two organizations claim one domain: the second verification is refused", async () => {
    const contested = `contested-${a.org.slug}.example`;
    const mine = await call(ADD_DOMAIN, {
      method: "POST",
      cookie: aAdmin,
      org: a.org.slug,
      body: { domain: contested },
    });
    expect(mine.status).toBe(201);
    await verifyDomainFor(bAdmin, b.org.slug, contested);
    txtRecords.set(recordName(contested), [[mine.json.record_value], ...(txtRecords.get(recordName(contested)) ?? [])]);
    const seq = await headSeq(a.org.id);
    const v = await call(VERIFY_DOMAIN, {
      method: "POST",
      cookie: aAdmin,
      org: a.org.slug,
      params: { id: mine.json.id },
    });
    expect(v.status).toBe(409);
    expect(await headSeq(a.org.id)).toBe(seq);
  });

  it("stays pending-then-failed when the TXT record is missing, and names the record", async () => {
    const added = await call(ADD_DOMAIN, {
      method: "POST",
      cookie: aAdmin,
      org: a.org.slug,
      body: { domain: `nope.${domainA}` },
    });
    expect(added.status).toBe(201);
    expect(added.json.status).toBe("pending");
    const v = await call(VERIFY_DOMAIN, {
      method: "POST",
      cookie: aAdmin,
      org: a.org.slug,
      params: { id: added.json.id },
    });
    expect(v.json.status).toBe("failed");
    expect(v.json.last_error).toContain(recordName(`nope.${domainA}`));
    const list = await call(LIST_DOMAINS, { cookie: aAdmin, org: a.org.slug });
    expect(list.json.domains.map((d: { domain: string }) => d.domain)).toContain(`nope.${domainA}`);
  });

  it("a DNS outage leaves the status alone and says why", async () => {
    const added = await call(ADD_DOMAIN, {
      method: "POST",
      cookie: aAdmin,
      org: a.org.slug,
      body: { domain: `flaky.${domainA}` },
    });
    const { setTxtResolver } = await import("@/lib/sso/dns");
    const { DnsUnavailableError } = await import("@/lib/sso/dns");
    setTxtResolver(async () => {
      throw new DnsUnavailableError("DNS lookup failed (ETIMEOUT)");
    });
    try {
      const v = await call(VERIFY_DOMAIN, {
        method: "POST",
        cookie: aAdmin,
        org: a.org.slug,
        params: { id: added.json.id },
      });
      expect(v.json.status).toBe("pending");
      expect(v.json.last_error).toContain("ETIMEOUT");
    } finally {
      setTxtResolver(async (name) => txtRecords.get(name) ?? []);
    }
  });
});

describe("test sign-in, then enable", () => {
  it("shows what the IdP sent, marks the connection tested, and only then enables it", async () => {
    idp.setUser({ sub: "admin-a", email: `boss@${domainA}`, email_verified: true, groups: ["admins", "eng"] });
    await testAndEnable(aAdmin, a.org.slug, connA);
    const res = await call(GET_ONE, { cookie: aAdmin, org: a.org.slug, params: { id: connA } });
    expect(res.json).toMatchObject({ enabled: true, tested: true });
    expect(res.json.last_test).toMatchObject({
      ok: true,
      email: `boss@${domainA}`,
      groups: ["admins", "eng"],
      mapped_role: "admin",
      problems: [],
    });
    expect(res.json.last_test.attributes.iss).toBe(idp.issuer);
    // A test sign-in provisions nobody and signs nobody in.
    expect(await userByEmail(`boss@${domainA}`)).toBeUndefined();
    expect((await events(a.org.id, "sso.connection_tested")).at(-1).data.ok).toBe(true);
    expect((await events(a.org.id, "sso.connection_enabled")).length).toBe(1);
  });

  it("changing the IdP settings of an enabled connection is refused (409); mapping changes are fine", async () => {
    const res = await call(PATCH, {
      method: "PATCH",
      cookie: aAdmin,
      org: a.org.slug,
      params: { id: connA },
      body: { oidc: { issuer: idp.issuer, client_id: "other" } },
    });
    expect(res.status).toBe(409);
    const ok = await call(PATCH, {
      method: "PATCH",
      cookie: aAdmin,
      org: a.org.slug,
      params: { id: connA },
      body: { name: "Corporate IdP" },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.tested).toBe(true);
  });
});

describe("sign-in with JIT provisioning", () => {
  it("provisions a new person with the mapped role and signs them in (session says sso)", async () => {
    const email = `ada@${domainA}`;
    idp.setUser({ sub: "ada", email, email_verified: true, name: "Ada", groups: ["auditors"] });
    const res = await signIn(email);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`http://localhost:3999/${a.org.slug}`);
    const cookie = sessionOf(res);
    expect(cookie).toBeTruthy();
    const who = await call(WHOAMI, { cookie: cookie! });
    expect(who.status).toBe(200);
    expect(who.json.session.auth_methods).toEqual(["sso", `sso_org:${a.org.id}`]);
    expect(who.json.organizations).toEqual([{ slug: a.org.slug, name: a.org.name, role: "auditor" }]);
    const user = await userByEmail(email);
    const added = (await events(a.org.id, "member.added")).find((e) => e.target_id === user!.id);
    expect(added.data).toMatchObject({ role: "auditor", via: "sso", connection_id: connA });
    const signedIn = (await events(a.org.id, "sso.sign_in")).at(-1);
    expect(signedIn.data).toMatchObject({ email, provisioned: true, role: "auditor" });
  });

  it("the same person signs in again: same account, no second membership", async () => {
    const email = `ada@${domainA}`;
    idp.setUser({ sub: "ada", email, email_verified: true, groups: ["auditors"] });
    const res = await signIn(email);
    expect(res.status).toBe(303);
    const n = (await owner().query(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [email])).rows[0].n;
    expect(n).toBe(1);
  });

  it("finds the connection by the organization's slug too", async () => {
    idp.setUser({ sub: "ada", email: `ada@${domainA}`, email_verified: true, groups: ["auditors"] });
    const res = await signIn(a.org.slug);
    expect(res.status).toBe(303);
    expect(sessionOf(res)).toBeTruthy();
  });

  it("an admin grant through the group map waits for an admin's confirmation", async () => {
    const email = `grace@${domainA}`;
    idp.setUser({ sub: "grace", email, email_verified: true, groups: ["admins"] });
    const res = await signIn(email);
    expect(res.status).toBe(303);
    const user = (await userByEmail(email))!;
    const role = (
      await owner().query(`SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2`, [a.org.id, user.id])
    ).rows[0].role;
    expect(role).toBe("viewer");
    const list = await call(ROLE_REQUESTS, { cookie: aAdmin, org: a.org.slug });
    expect(list.json.requests).toEqual([
      expect.objectContaining({
        user_id: user.id,
        requested_role: "admin",
        current_role: "viewer",
        groups: ["admins"],
      }),
    ]);
    // Another organization's admin cannot decide it.
    expect(
      (
        await call(DECIDE_ROLE, {
          method: "POST",
          cookie: bAdmin,
          org: b.org.slug,
          params: { userId: user.id },
          body: { decision: "approve" },
        })
      ).status,
    ).toBe(404);
    const ok = await call(DECIDE_ROLE, {
      method: "POST",
      cookie: aAdmin,
      org: a.org.slug,
      params: { userId: user.id },
      body: { decision: "approve" },
    });
    expect(ok.json).toEqual({ role: "admin" });
    expect((await events(a.org.id, "sso.role_request_approved")).length).toBe(1);
  });
});

describe("refused sign-ins (each writes no account and no session)", () => {
  async function expectRefused(res: Response, reason: string, email?: string) {
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`http://localhost:3999/login?sso_error=${reason}`);
    expect(sessionOf(res)).toBeNull();
    if (email) expect(await userByEmail(email)).toBeUndefined();
  }

  it("an e-mail in a domain this organization did not verify", async () => {
    const email = `mallory@unverified-${a.org.slug}.example`;
    idp.setUser({ sub: "mallory", email, email_verified: true });
    // Discovery by slug, so the IdP's answer is what carries the foreign address.
    await expectRefused(await signIn(a.org.slug), "domain_not_verified", email);
    expect((await events(a.org.id, "sso.sign_in_failed")).at(-1).data).toMatchObject({
      reason: "domain_not_verified",
      email,
    });
  });

  it("an e-mail in a domain another organization verified", async () => {
    const email = `victim@${domainB}`;
    idp.setUser({ sub: "victim", email, email_verified: true });
    await expectRefused(await signIn(a.org.slug), "domain_not_verified", email);
  });

  it("an e-mail the IdP says is unverified", async () => {
    const email = `unverified@${domainA}`;
    idp.setUser({ sub: "unverified", email, email_verified: false });
    await expectRefused(await signIn(email), "email_unverified", email);
  });

  it("state mismatch: a callback whose state was never issued", async () => {
    idp.setUser({ sub: "ada", email: `ada@${domainA}`, email_verified: true });
    const { callbackUrl, binding } = await startAndAuthorize(`identifier=${a.org.slug}`, connA);
    const u = new URL(callbackUrl);
    u.searchParams.set("state", "forged-state");
    await expectRefused(await deliverCallback(connA, u.href, binding), "unknown_state");
  });

  it("login CSRF: the callback in a browser without the binding cookie", async () => {
    const { callbackUrl } = await startAndAuthorize(`identifier=${a.org.slug}`, connA);
    await expectRefused(await deliverCallback(connA, callbackUrl, "warden-sso=someone-elses"), "binding_mismatch");
    await expectRefused(await deliverCallback(connA, callbackUrl), "binding_mismatch");
  });

  it("a replayed callback (the same code and state twice)", async () => {
    const { callbackUrl, binding } = await startAndAuthorize(`identifier=${a.org.slug}`, connA);
    expect(sessionOf(await deliverCallback(connA, callbackUrl, binding))).toBeTruthy();
    await expectRefused(await deliverCallback(connA, callbackUrl, binding), "replayed");
  });

  it("an expired sign-in request", async () => {
    const { callbackUrl, binding } = await startAndAuthorize(`identifier=${a.org.slug}`, connA);
    await owner().query(`UPDATE sso_auth_requests SET expires_at = now() - interval '1 second' WHERE org_id = $1`, [
      a.org.id,
    ]);
    await expectRefused(await deliverCallback(connA, callbackUrl, binding), "expired");
  });

  it("abandoned requests are swept once they are an hour past expiry", async () => {
    await startAndAuthorize(`identifier=${a.org.slug}`, connA);
    await owner().query(
      `UPDATE sso_auth_requests SET expires_at = now() - interval '2 hours' WHERE org_id = $1 AND consumed_at IS NULL`,
      [a.org.id],
    );
    await startAndAuthorize(`identifier=${a.org.slug}`, connA);
    const left = await owner().query(
      `SELECT count(*)::int AS n FROM sso_auth_requests WHERE org_id = $1 AND expires_at < now() - interval '1 hour'`,
      [a.org.id],
    );
    expect(left.rows[0].n).toBe(0);
  });

  it("IdP-initiated (a code with no state) is refused", async () => {
    const res = await deliverCallback(connA, `${callbackPrefix(connA)}?code=abc`);
    await expectRefused(res, "unsolicited");
  });

  it("code injection: another sign-in's code fails PKCE at the IdP", async () => {
    const first = await startAndAuthorize(`identifier=${a.org.slug}`, connA);
    const second = await startAndAuthorize(`identifier=${a.org.slug}`, connA);
    const injected = new URL(first.callbackUrl);
    injected.searchParams.set("code", new URL(second.callbackUrl).searchParams.get("code")!);
    await expectRefused(await deliverCallback(connA, injected.href, first.binding), "invalid_response");
  });

  it("a disabled connection signs nobody in", async () => {
    const { callbackUrl, binding } = await startAndAuthorize(`identifier=${a.org.slug}`, connA);
    expect(
      (await call(DISABLE, { method: "POST", cookie: aAdmin, org: a.org.slug, params: { id: connA } })).status,
    ).toBe(200);
    try {
      await expectRefused(await deliverCallback(connA, callbackUrl, binding), "no_connection");
      const start = await startAndAuthorize(`identifier=${a.org.slug}`, connA).catch((e: Error) => e);
      expect(start).toBeInstanceOf(Error);
    } finally {
      await testAndEnable(aAdmin, a.org.slug, connA);
    }
  });

  it("a person locked in the organization by an alert response", async () => {
    const email = `locked@${domainA}`;
    idp.setUser({ sub: "locked", email, email_verified: true });
    expect(sessionOf(await signIn(email))).toBeTruthy();
    const user = (await userByEmail(email))!;
    await owner().query(
      `INSERT INTO member_locks (org_id, user_id, locked_until, reason) VALUES ($1, $2, now() + interval '1 hour', 'test')`,
      [a.org.id, user.id],
    );
    await expectRefused(await signIn(email), "locked");
  });
});

describe("forged ID tokens from a hostile IdP", () => {
  let conn: string;
  let rogueOrg: TestOrg;
  let rogueAdmin: string;
  beforeAll(async () => {
    rogueOrg = await createTestOrg("ssor");
    rogueAdmin = (await sessionCookie(rogueOrg.users.admin.id)).cookie;
    await verifyDomainFor(rogueAdmin, rogueOrg.org.slug, `${rogueOrg.org.slug}.example`);
    rogue.claims({ email: `user@${rogueOrg.org.slug}.example` });
    conn = await createOidcConnection(rogueAdmin, rogueOrg.org.slug, rogue);
    rogue.forge("valid");
    await testAndEnable(rogueAdmin, rogueOrg.org.slug, conn);
  });

  it("the honest token signs in (the harness works)", async () => {
    rogue.forge("valid");
    const res = await signIn(rogueOrg.org.slug, conn);
    expect(sessionOf(res)).toBeTruthy();
  });

  it.each<Forgery>([
    "alg_none",
    "hs256_public_key",
    "unknown_key",
    "wrong_issuer",
    "wrong_audience",
    "expired",
    "wrong_nonce",
    "no_nonce",
  ])("%s is refused", async (mode) => {
    rogue.forge(mode);
    const res = await signIn(rogueOrg.org.slug, conn);
    expect(res.headers.get("location")).toBe("http://localhost:3999/login?sso_error=invalid_response");
    expect(sessionOf(res)).toBeNull();
    expect((await events(rogueOrg.org.id, "sso.sign_in_failed")).at(-1).data.reason).toBe("invalid_response");
  });
});

describe("rate limit on GET /api/sso/start", () => {
  const startFrom = (ip: string, identifier: string) =>
    callRaw(START, {
      path: `/api/sso/start?identifier=${encodeURIComponent(identifier)}`,
      headers: { "x-warden-client-ip": ip },
    });

  it("429 problem+json with Retry-After once one address used up its minute; other addresses go on", async () => {
    const limit = ssoStartLimiterSpec().points;
    const enabled = (await owner().query(`SELECT enabled FROM sso_connections WHERE id = $1`, [connA])).rows[0];
    if (!enabled.enabled) await testAndEnable(aAdmin, a.org.slug, connA);
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
    const rows = async () =>
      Number(
        (await owner().query(`SELECT count(*) FROM sso_auth_requests WHERE org_id = $1`, [a.org.id])).rows[0].count,
      );
    const rowsBefore = await rows();
    let toIdp = 0;
    // Unknown identifiers count as well: probing which domains have SSO is bounded too.
    for (let i = 0; i < limit; i++) {
      const res = await startFrom(ip, i % 10 !== 0 ? `nobody${i}@unknown-${i}.example` : a.org.slug);
      expect(res.status).toBe(303);
      expect(res.headers.get("retry-after")).toBeNull();
      if (res.headers.get("location")!.startsWith(idp.issuer)) toIdp++;
    }
    expect(toIdp).toBe(Math.ceil(limit / 10));
    const limited = await startFrom(ip, a.org.slug);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("ratelimit-policy")).toBe(`"sso-start";q=${limit};w=60`);
    const body = (await limited.json()) as { status: number; code: string };
    expect(body).toMatchObject({ status: 429, code: "rate_limited" });
    // The refused start wrote no request row: only the allowed ones did.
    expect((await rows()) - rowsBefore).toBe(toIdp);
    const other = await startFrom(`198.51.100.${(Number(ip.split(".")[3]) % 200) + 50}`, a.org.slug);
    expect(other.status).toBe(303);
  });
});
