import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as LIST_USERS, POST as CREATE_USER } from "@/app/api/scim/v2/Users/route";
import { DELETE, GET as GET_USER, PATCH, PUT } from "@/app/api/scim/v2/Users/[id]/route";
import { GET as LIST_GROUPS, POST as CREATE_GROUP } from "@/app/api/scim/v2/Groups/route";
import { DELETE as DELETE_GROUP, GET as GET_GROUP, PATCH as PATCH_GROUP } from "@/app/api/scim/v2/Groups/[id]/route";
import { GET as SPC } from "@/app/api/scim/v2/ServiceProviderConfig/route";
import { GET as SCHEMAS } from "@/app/api/scim/v2/Schemas/route";
import { GET as RESOURCE_TYPES } from "@/app/api/scim/v2/ResourceTypes/route";
import { GET as LIST_TOKENS, POST as CREATE_TOKEN } from "@/app/api/v1/sso/scim-tokens/route";
import { POST as REVOKE_TOKEN } from "@/app/api/v1/sso/scim-tokens/[id]/revoke/route";
import { GET as MEMBERS } from "@/app/api/v1/members/route";
import { createSession } from "@/lib/auth/sessions";
import { withTenant } from "@/lib/db/tenant";
import { loadConnection } from "@/lib/sso/connections";
import type { SsoProfile } from "@/lib/sso/profile";
import { provisionFromSso } from "@/lib/sso/provision";
import { closeDb } from "@/lib/db/client";
import { provisionMember } from "@/lib/members/provision-member";
import type { RouteHandler } from "@/lib/http/route";
import { setUpFirewall, submitAction } from "../helpers/actions";
import { expectNothingWritten, headSeq } from "../helpers/audit";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, TEST_PASSWORD, type TestOrg } from "../helpers/fixtures";
import { call, cookieForToken, sessionCookie } from "../helpers/http";
import { verifyDomainFor } from "../helpers/sso";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";

let a: TestOrg;
let b: TestOrg;
let aAdmin2: { id: string; cookie: string };
let bAdmin: string;
let tokenA: string;
let tokenAId: string;
let tokenB: string;

async function scim(
  handler: RouteHandler,
  token: string | null,
  opts: { method?: string; path?: string; body?: unknown; rawBody?: string; params?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let rawBody = opts.rawBody;
  if (opts.body !== undefined) rawBody = JSON.stringify(opts.body);
  if (rawBody !== undefined) headers["content-type"] = "application/scim+json";
  return call(handler, {
    method: opts.method ?? "GET",
    path: opts.path ?? "/api/scim/v2/Users",
    rawBody,
    headers,
    params: opts.params,
  });
}

const newUser = (email: string, extra: Record<string, unknown> = {}) => ({
  schemas: [USER],
  userName: email,
  externalId: `ext-${email}`,
  name: { givenName: "Ada", familyName: "Lovelace" },
  emails: [{ value: email, primary: true }],
  active: true,
  ...extra,
});

const memberRole = async (orgId: string, userId: string) =>
  (await owner().query(`SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2`, [orgId, userId])).rows[0]
    ?.role as string | undefined;

async function createToken(cookie: string, org: string, body: Record<string, unknown> = { name: "Okta" }) {
  const res = await call(CREATE_TOKEN, { method: "POST", cookie, org, body });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as { id: string; token: string; last4: string };
}

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("scima"), createTestOrg("scimb")]);
  const admin2 = await provisionMember({
    orgId: a.org.id,
    email: `admin2@${a.org.slug}.test`,
    name: "Second admin",
    role: "admin",
    password: TEST_PASSWORD,
  });
  aAdmin2 = { id: admin2.userId, cookie: (await sessionCookie(admin2.userId)).cookie };
  bAdmin = (await sessionCookie(b.users.admin.id)).cookie;
  await verifyDomainFor(aAdmin2.cookie, a.org.slug, `${a.org.slug}.test`);
  await verifyDomainFor(bAdmin, b.org.slug, `${b.org.slug}.test`);
  const ta = await createToken(aAdmin2.cookie, a.org.slug);
  tokenA = ta.token;
  tokenAId = ta.id;
  tokenB = (await createToken(bAdmin, b.org.slug)).token;
});

afterAll(async () => {
  await closeOwner();
  await closeDb();
});

describe("SCIM tokens (settings/sso)", () => {
  it("shown once, stored as a hash, listed without the secret, audited", async () => {
    expect(tokenA).toMatch(/^wscim_[0-9A-Za-z]{22}_[A-Za-z0-9_-]{43}$/);
    const row = (await owner().query(`SELECT * FROM scim_tokens WHERE id = $1`, [tokenAId])).rows[0];
    const secret = tokenA.split("_").slice(2).join("_");
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    const list = await call(LIST_TOKENS, { cookie: aAdmin2.cookie, org: a.org.slug });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.json)).not.toContain(secret);
    expect(list.json.tokens.map((t: { id: string }) => t.id)).toContain(tokenAId);
    const ev = (
      await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 AND action = 'scim.token_created'`, [a.org.id])
    ).rows;
    expect(ev.at(-1).target_id).toBe(tokenAId);
    expect(JSON.stringify(ev)).not.toContain(secret);
  });

  it("403 for a non-admin, 404 for another organization's token", async () => {
    const viewer = (await sessionCookie(a.users.viewer.id)).cookie;
    expect(
      (await call(CREATE_TOKEN, { method: "POST", cookie: viewer, org: a.org.slug, body: { name: "x" } })).status,
    ).toBe(403);
    await expectNothingWritten(a.org.id, async () => {
      const res = await call(REVOKE_TOKEN, {
        method: "POST",
        cookie: bAdmin,
        org: b.org.slug,
        params: { id: tokenAId },
      });
      expect(res.status).toBe(404);
    });
  });
});

describe("authentication", () => {
  it.each([
    ["no token", null],
    ["malformed", "Bearer-ish"],
    ["an API key's shape", "wdn_live_abc"],
    ["a wrong secret for a real id", () => tokenA.slice(0, -4) + (tokenA.endsWith("AAAA") ? "BBBB" : "AAAA")],
    ["an id that does not exist", "wscim_0000000000000000000000_" + "A".repeat(43)],
  ] as const)("401 SCIM error for %s", async (_l, t) => {
    const token = typeof t === "function" ? t() : t;
    const res = await scim(LIST_USERS, token);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/scim+json");
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
    expect(res.json).toMatchObject({ schemas: [ERROR], status: "401" });
  });

  it("a revoked token stops at once (and revoking is audited); an expired one too", async () => {
    const t = await createToken(aAdmin2.cookie, a.org.slug, { name: "to revoke" });
    expect((await scim(LIST_USERS, t.token)).status).toBe(200);
    const revoked = await call(REVOKE_TOKEN, {
      method: "POST",
      cookie: aAdmin2.cookie,
      org: a.org.slug,
      params: { id: t.id },
    });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_at).toBeTruthy();
    expect((await scim(LIST_USERS, t.token)).status).toBe(401);
    const ev = (
      await owner().query(
        `SELECT target_id FROM audit_events WHERE org_id = $1 AND action = 'scim.token_revoked' ORDER BY seq DESC LIMIT 1`,
        [a.org.id],
      )
    ).rows[0];
    expect(ev.target_id).toBe(t.id);

    const e = await createToken(aAdmin2.cookie, a.org.slug, { name: "to expire", expires_in_days: 1 });
    expect((await scim(LIST_USERS, e.token)).status).toBe(200);
    await owner().query(`UPDATE scim_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [e.id]);
    expect((await scim(LIST_USERS, e.token)).status).toBe(401);
  });
});

describe("discovery documents", () => {
  it("ServiceProviderConfig, Schemas and ResourceTypes answer application/scim+json (with a token)", async () => {
    const spc = await scim(SPC, tokenA, { path: "/api/scim/v2/ServiceProviderConfig" });
    expect(spc.status).toBe(200);
    expect(spc.headers.get("content-type")).toBe("application/scim+json");
    expect(spc.json).toMatchObject({
      patch: { supported: true },
      filter: { supported: true },
      bulk: { supported: false },
    });
    const schemas = await scim(SCHEMAS, tokenA, { path: "/api/scim/v2/Schemas" });
    expect(schemas.json.Resources.map((r: { id: string }) => r.id).sort()).toEqual([GROUP, USER]);
    const types = await scim(RESOURCE_TYPES, tokenA, { path: "/api/scim/v2/ResourceTypes" });
    expect(types.json.Resources[0]).toMatchObject({ id: "User", endpoint: "/Users", schema: USER });
    expect((await scim(SPC, null, { path: "/api/scim/v2/ServiceProviderConfig" })).status).toBe(401);
    const used = (await owner().query(`SELECT last_used_at FROM scim_tokens WHERE id = $1`, [tokenAId])).rows[0];
    expect(used.last_used_at).not.toBeNull();
  });
});

describe("Users", () => {
  let adaId: string;
  const ada = () => `ada.${a.org.slug}@${a.org.slug}.test`;

  it("creates a person: account, viewer membership, Location, audited", async () => {
    const res = await scim(CREATE_USER, tokenA, { method: "POST", body: newUser(ada()) });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.headers.get("content-type")).toBe("application/scim+json");
    adaId = res.json.id;
    expect(res.headers.get("location")).toBe(`http://localhost:3999/api/scim/v2/Users/${adaId}`);
    expect(res.json).toMatchObject({
      schemas: [USER],
      userName: ada(),
      externalId: `ext-${ada()}`,
      active: true,
      name: { givenName: "Ada", familyName: "Lovelace" },
      emails: [{ value: ada(), primary: true }],
      meta: { resourceType: "User" },
    });
    expect(await memberRole(a.org.id, adaId)).toBe("viewer");
    const ev = (
      await owner().query(
        `SELECT action, actor_type, actor_id FROM audit_events WHERE org_id = $1 AND target_id = $2 ORDER BY seq`,
        [a.org.id, adaId],
      )
    ).rows;
    expect(ev.map((e) => e.action).sort()).toEqual(["member.added", "scim.user_created"]);
    expect(ev.every((e) => e.actor_type === "system" && e.actor_id === `scim:${tokenAId}`)).toBe(true);
  });

  it("replayed create: 409 uniqueness, nothing written", async () => {
    await expectNothingWritten(a.org.id, async () => {
      const res = await scim(CREATE_USER, tokenA, { method: "POST", body: newUser(ada().toUpperCase()) });
      expect(res.status).toBe(409);
      expect(res.json).toMatchObject({ schemas: [ERROR], status: "409", scimType: "uniqueness" });
    });
  });

  it("400 invalidValue for an address outside the organization's verified domains (another org's too)", async () => {
    for (const email of ["someone@elsewhere.example", `x@${b.org.slug}.test`, "not-an-email"]) {
      await expectNothingWritten(a.org.id, async () => {
        const res = await scim(CREATE_USER, tokenA, { method: "POST", body: newUser(email) });
        expect(res.status, email).toBe(400);
        expect(res.json.scimType).toBe("invalidValue");
      });
    }
    expect((await owner().query(`SELECT 1 FROM users WHERE email = 'someone@elsewhere.example'`)).rowCount).toBe(0);
  });

  it("400 for a body that is not a SCIM User, not JSON, or the wrong media type; 413 when too large", async () => {
    const noSchema = await scim(CREATE_USER, tokenA, { method: "POST", body: { userName: ada() } });
    expect(noSchema.status).toBe(400);
    expect(noSchema.json.scimType).toBe("invalidValue");
    const notJson = await scim(CREATE_USER, tokenA, { method: "POST", rawBody: "{nope" });
    expect(notJson.status).toBe(400);
    expect(notJson.json.scimType).toBe("invalidSyntax");
    const text = await call(CREATE_USER, {
      method: "POST",
      path: "/api/scim/v2/Users",
      rawBody: JSON.stringify(newUser(`t@${a.org.slug}.test`)),
      headers: { authorization: `Bearer ${tokenA}`, "content-type": "text/plain" },
    });
    expect(text.status).toBe(415);
    await expectNothingWritten(a.org.id, async () => {
      const big = await scim(CREATE_USER, tokenA, {
        method: "POST",
        body: newUser(`big@${a.org.slug}.test`, { displayName: "x".repeat(70_000) }),
      });
      expect(big.status).toBe(413);
      expect(big.json).toMatchObject({ schemas: [ERROR], status: "413" });
    });
  });

  it("filter userName eq (case-insensitive) and externalId eq; the list is this organization's only", async () => {
    const found = await scim(LIST_USERS, tokenA, {
      path: `/api/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${ada().toUpperCase()}"`)}`,
    });
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(found.json.Resources[0].id).toBe(adaId);
    const byExt = await scim(LIST_USERS, tokenA, {
      path: `/api/scim/v2/Users?filter=${encodeURIComponent(`externalId eq "ext-${ada()}"`)}`,
    });
    expect(byExt.json.Resources.map((r: { id: string }) => r.id)).toEqual([adaId]);
    const none = await scim(LIST_USERS, tokenA, {
      path: `/api/scim/v2/Users?filter=${encodeURIComponent('userName eq "nobody@x.test"')}`,
    });
    expect(none.json).toMatchObject({ totalResults: 0, Resources: [] });
    const fromB = await scim(LIST_USERS, tokenB, {
      path: `/api/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${ada()}"`)}`,
    });
    expect(fromB.json.totalResults).toBe(0);
    const allB = await scim(LIST_USERS, tokenB);
    expect(JSON.stringify(allB.json)).not.toContain(adaId);
  });

  it.each([
    'userName co "ada"',
    'userName sw "a"',
    'name.givenName eq "Ada"',
    `userName eq "a" and active eq true`,
    "userName eq ada",
    'userName eq "unterminated',
    "active pr",
    "",
  ])("400 invalidFilter for %j", async (filter) => {
    const res = await scim(LIST_USERS, tokenA, { path: `/api/scim/v2/Users?filter=${encodeURIComponent(filter)}` });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ schemas: [ERROR], status: "400", scimType: "invalidFilter" });
  });

  it("another organization's user id is 404 on every verb, and nothing changes", async () => {
    await expectNothingWritten(a.org.id, async () => {
      const params = { id: adaId };
      const path = `/api/scim/v2/Users/${adaId}`;
      expect((await scim(GET_USER, tokenB, { path, params })).status).toBe(404);
      expect(
        (await scim(PUT, tokenB, { method: "PUT", path, params, body: newUser(ada(), { active: false }) })).status,
      ).toBe(404);
      expect(
        (
          await scim(PATCH, tokenB, {
            method: "PATCH",
            path,
            params,
            body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] },
          })
        ).status,
      ).toBe(404);
      expect((await scim(DELETE, tokenB, { method: "DELETE", path, params })).status).toBe(404);
      expect((await scim(GET_USER, tokenA, { path, params: { id: "not-a-uuid" } })).status).toBe(404);
    });
    expect(await memberRole(a.org.id, adaId)).toBe("viewer");
  });

  it("PUT replaces the attributes; changing userName is refused (mutability)", async () => {
    const path = `/api/scim/v2/Users/${adaId}`;
    const res = await scim(PUT, tokenA, {
      method: "PUT",
      path,
      params: { id: adaId },
      body: newUser(ada(), { displayName: "Countess", name: { givenName: "Augusta" } }),
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toMatchObject({ displayName: "Countess", name: { givenName: "Augusta" } });
    expect(res.json.name.familyName).toBeUndefined();
    const moved = await scim(PUT, tokenA, {
      method: "PUT",
      path,
      params: { id: adaId },
      body: newUser(`other@${a.org.slug}.test`),
    });
    expect(moved.status).toBe(400);
    expect(moved.json.scimType).toBe("mutability");
  });

  it("PATCH with unsupported paths is 400 invalidPath and changes nothing", async () => {
    await expectNothingWritten(a.org.id, async () => {
      const res = await scim(PATCH, tokenA, {
        method: "PATCH",
        path: `/api/scim/v2/Users/${adaId}`,
        params: { id: adaId },
        body: {
          schemas: [PATCH_OP],
          Operations: [
            { op: "replace", path: "displayName", value: "ok" },
            { op: "replace", path: "roles", value: "admin" },
          ],
        },
      });
      expect(res.status).toBe(400);
      expect(res.json.scimType).toBe("invalidPath");
    });
  });
});

describe("deactivation", () => {
  it("active=false ends sessions, suspends keys, cancels pending approvals — in one transaction — and reactivation restores access", async () => {
    // The admin who created the agent's key is brought under SCIM (an existing member is adopted).
    const fw = await setUpFirewall(a);
    const pending = await submitAction(fw, "pay");
    expect(pending.status).toBe("pending");
    const adopted = await scim(CREATE_USER, tokenA, { method: "POST", body: newUser(a.users.admin.email) });
    expect(adopted.status, JSON.stringify(adopted.json)).toBe(201);
    const id = a.users.admin.id;
    expect(adopted.json.id).toBe(id);
    expect(await memberRole(a.org.id, id)).toBe("admin");
    const sso = await createSession(id, ["sso", `sso_org:${a.org.id}`], { ip: "127.0.0.1", userAgent: "vitest" });
    const pwd = await sessionCookie(id);
    expect((await call(MEMBERS, { cookie: pwd.cookie, org: a.org.slug })).status).toBe(200);

    const res = await scim(PATCH, tokenA, {
      method: "PATCH",
      path: `/api/scim/v2/Users/${id}`,
      params: { id },
      // Microsoft Entra's shape: the value as a string.
      body: { schemas: [PATCH_OP], Operations: [{ op: "Replace", path: "active", value: "False" }] },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.active).toBe(false);

    expect(await memberRole(a.org.id, id)).toBeUndefined();
    const s = (await owner().query(`SELECT revoked_at, revoke_reason FROM sessions WHERE id = $1`, [sso.sessionId]))
      .rows[0];
    expect(s).toMatchObject({ revoke_reason: "scim_deactivated" });
    // The password session is not this IdP's, but it no longer reaches the organization.
    expect((await call(MEMBERS, { cookie: pwd.cookie, org: a.org.slug })).status).toBe(404);
    expect((await call(MEMBERS, { cookie: await cookieForToken(id, sso.token), org: a.org.slug })).status).toBe(401);
    const key = (await owner().query(`SELECT suspended_at FROM api_keys WHERE id = $1`, [fw.agent.keyId])).rows[0];
    expect(key.suspended_at).not.toBeNull();
    const approval = (await owner().query(`SELECT status FROM approvals WHERE id = $1`, [pending.approval!.id]))
      .rows[0];
    expect(approval.status).toBe("cancelled");
    const action = (await owner().query(`SELECT status FROM actions WHERE id = $1`, [pending.id])).rows[0];
    expect(action.status).toBe("cancelled");
    const ev = (
      await owner().query(
        `SELECT data FROM audit_events WHERE org_id = $1 AND action = 'scim.user_deactivated' ORDER BY seq DESC LIMIT 1`,
        [a.org.id],
      )
    ).rows[0];
    expect(ev.data).toMatchObject({
      role: "admin",
      sessions_ended: 1,
      api_keys_suspended: [fw.agent.keyId],
      actions_cancelled: [pending.id],
    });
    // Still readable by the IdP, as inactive.
    const read = await scim(GET_USER, tokenA, { path: `/api/scim/v2/Users/${id}`, params: { id } });
    expect(read.json.active).toBe(false);

    const back = await scim(PATCH, tokenA, {
      method: "PATCH",
      path: `/api/scim/v2/Users/${id}`,
      params: { id },
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: true } }] },
    });
    expect(back.status).toBe(200);
    // Back with the provisioning role; admin again only through an admin.
    expect(await memberRole(a.org.id, id)).toBe("viewer");
    expect(
      (await owner().query(`SELECT suspended_at FROM api_keys WHERE id = $1`, [fw.agent.keyId])).rows[0].suspended_at,
    ).not.toBeNull();
  });

  it("a person SCIM deactivated cannot come back through SSO sign-in (JIT refuses, writes nothing)", async () => {
    const email = `jit.${a.org.slug}@${a.org.slug}.test`;
    const created = await scim(CREATE_USER, tokenA, { method: "POST", body: newUser(email) });
    const id = created.json.id as string;
    const off = await scim(PATCH, tokenA, {
      method: "PATCH",
      path: `/api/scim/v2/Users/${id}`,
      params: { id },
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] },
    });
    expect(off.json.active).toBe(false);
    const connId = (
      await owner().query(
        `INSERT INTO sso_connections (org_id, protocol, name, config) VALUES ($1, 'oidc', 'jit', '{}') RETURNING id`,
        [a.org.id],
      )
    ).rows[0].id as string;
    const c = await withTenant({ orgId: a.org.id }, (tx) => loadConnection(tx, connId));
    const profile: SsoProfile = {
      subject: `sub-${id}`,
      email,
      emailVerified: true,
      name: "JIT",
      groups: [],
      amr: [],
      acr: null,
      authTime: null,
      sessionIndex: null,
      attributes: {},
    };
    await expectNothingWritten(a.org.id, async () => {
      await expect(provisionFromSso(c, profile, { ip: null })).rejects.toMatchObject({ reason: "deactivated" });
    });
    expect(await memberRole(a.org.id, id)).toBeUndefined();
    expect((await owner().query(`SELECT 1 FROM sso_identities WHERE user_id = $1`, [id])).rowCount).toBe(0);
  });

  it("a failure part-way leaves nothing half-made: membership, sessions and the record roll back together", async () => {
    const email = `atomic.${a.org.slug}@${a.org.slug}.test`;
    const created = await scim(CREATE_USER, tokenA, { method: "POST", body: newUser(email) });
    const id = created.json.id as string;
    const sso = await createSession(id, ["sso", `sso_org:${a.org.id}`], { ip: "127.0.0.1", userAgent: "vitest" });
    // Revoking the session is the step after the membership is deleted and audited: make it fail.
    await owner().query(`
      CREATE OR REPLACE FUNCTION scim_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected failure'; END $$;
      CREATE TRIGGER scim_test_fail BEFORE UPDATE ON sessions FOR EACH ROW
        WHEN (NEW.user_id = '${id}'::uuid AND NEW.revoke_reason = 'scim_deactivated') EXECUTE FUNCTION scim_test_fail();`);
    try {
      const seq = await headSeq(a.org.id);
      const res = await scim(PATCH, tokenA, {
        method: "PATCH",
        path: `/api/scim/v2/Users/${id}`,
        params: { id },
        body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] },
      });
      expect(res.status).toBe(500);
      expect(res.json).toMatchObject({ schemas: [ERROR], status: "500" });
      expect(JSON.stringify(res.json)).not.toContain("injected");
      expect(await headSeq(a.org.id)).toBe(seq);
    } finally {
      await owner().query(
        `DROP TRIGGER IF EXISTS scim_test_fail ON sessions; DROP FUNCTION IF EXISTS scim_test_fail()`,
      );
    }
    expect(await memberRole(a.org.id, id)).toBe("viewer");
    const row = (await owner().query(`SELECT active, version FROM scim_users WHERE user_id = $1`, [id])).rows[0];
    expect(row).toEqual({ active: true, version: 1 });
    const s = (await owner().query(`SELECT revoked_at FROM sessions WHERE id = $1`, [sso.sessionId])).rows[0];
    expect(s.revoked_at).toBeNull();
  });

  it("DELETE deactivates and removes the SCIM record (audited); a replayed DELETE is 404", async () => {
    const email = `gone.${a.org.slug}@${a.org.slug}.test`;
    const created = await scim(CREATE_USER, tokenA, { method: "POST", body: newUser(email) });
    const id = created.json.id as string;
    const path = `/api/scim/v2/Users/${id}`;
    const del = await scim(DELETE, tokenA, { method: "DELETE", path, params: { id } });
    expect(del.status).toBe(204);
    expect(await memberRole(a.org.id, id)).toBeUndefined();
    expect((await scim(GET_USER, tokenA, { path, params: { id } })).status).toBe(404);
    const ev = (
      await owner().query(
        `SELECT data FROM audit_events WHERE org_id = $1 AND action = 'scim.user_deleted' AND target_id = $2`,
        [a.org.id, id],
      )
    ).rows;
    expect(ev).toHaveLength(1);
    await expectNothingWritten(a.org.id, async () => {
      expect((await scim(DELETE, tokenA, { method: "DELETE", path, params: { id } })).status).toBe(404);
    });
  });

  it("the last admin cannot be deactivated (409), and nothing changes", async () => {
    const t = await createTestOrg("scimc");
    const cookie = (await sessionCookie(t.users.admin.id)).cookie;
    await verifyDomainFor(cookie, t.org.slug, `${t.org.slug}.test`);
    const token = (await createToken(cookie, t.org.slug)).token;
    const adopted = await scim(CREATE_USER, token, { method: "POST", body: newUser(t.users.admin.email) });
    expect(adopted.status).toBe(201);
    const id = t.users.admin.id;
    await expectNothingWritten(t.org.id, async () => {
      const res = await scim(PATCH, token, {
        method: "PATCH",
        path: `/api/scim/v2/Users/${id}`,
        params: { id },
        body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] },
      });
      expect(res.status).toBe(409);
    });
    expect(await memberRole(t.org.id, id)).toBe("admin");
  });
});

describe("Groups → roles", () => {
  let u1: string;
  let u2: string;
  let auditors: string;
  let admins: string;
  const gpath = (id: string) => `/api/scim/v2/Groups/${id}`;
  const patchGroup = (id: string, Operations: unknown[], token = tokenA) =>
    scim(PATCH_GROUP, token, {
      method: "PATCH",
      path: gpath(id),
      params: { id },
      body: { schemas: [PATCH_OP], Operations },
    });

  beforeAll(async () => {
    // The organization's SSO connection carries the group → role map SCIM groups go through.
    await owner().query(
      `INSERT INTO sso_connections (org_id, protocol, name, enabled, default_role, group_roles)
       VALUES ($1, 'oidc', 'map', true, 'viewer', $2::jsonb)`,
      [
        a.org.id,
        JSON.stringify([
          { group: "Auditors", role: "auditor" },
          { group: "Admins", role: "admin" },
        ]),
      ],
    );
    const mk = async (local: string) => {
      const r = await scim(CREATE_USER, tokenA, { method: "POST", body: newUser(`${local}@${a.org.slug}.test`) });
      expect(r.status).toBe(201);
      return r.json.id as string;
    };
    u1 = await mk("grp1");
    u2 = await mk("grp2");
  });

  it("a group with a mapped name gives its members that role (viewer/auditor at once), audited", async () => {
    const res = await scim(CREATE_GROUP, tokenA, {
      method: "POST",
      path: "/api/scim/v2/Groups",
      body: { schemas: [GROUP], displayName: "Auditors", members: [{ value: u1 }] },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    auditors = res.json.id;
    expect(res.json).toMatchObject({ displayName: "Auditors", members: [{ value: u1 }] });
    expect(await memberRole(a.org.id, u1)).toBe("auditor");
    const ev = (
      await owner().query(
        `SELECT data FROM audit_events WHERE org_id = $1 AND action = 'member.role_changed' AND target_id = $2`,
        [a.org.id, u1],
      )
    ).rows;
    expect(ev.at(-1).data).toMatchObject({ from: "viewer", to: "auditor", via: "scim" });
  });

  it("admin through the map waits for an admin's confirmation", async () => {
    const res = await scim(CREATE_GROUP, tokenA, {
      method: "POST",
      path: "/api/scim/v2/Groups",
      body: { schemas: [GROUP], displayName: "Admins" },
    });
    admins = res.json.id;
    const added = await patchGroup(admins, [{ op: "add", path: "members", value: [{ value: u2 }] }]);
    expect(added.status, JSON.stringify(added.json)).toBe(200);
    expect(await memberRole(a.org.id, u2)).toBe("viewer");
    const req = (
      await owner().query(`SELECT role FROM sso_role_requests WHERE org_id = $1 AND user_id = $2`, [a.org.id, u2])
    ).rows[0];
    expect(req.role).toBe("admin");
  });

  it("removing a member (Entra's filtered path) drops the mapped role", async () => {
    const res = await patchGroup(auditors, [{ op: "remove", path: `members[value eq "${u1}"]` }]);
    expect(res.status).toBe(200);
    expect(res.json.members).toEqual([]);
    expect(await memberRole(a.org.id, u1)).toBe("viewer");
  });

  it("a member from another organization is refused (400), nothing written", async () => {
    const other = await scim(CREATE_USER, tokenB, { method: "POST", body: newUser(`grp@${b.org.slug}.test`) });
    expect(other.status).toBe(201);
    await expectNothingWritten(a.org.id, async () => {
      const res = await patchGroup(auditors, [{ op: "add", path: "members", value: [{ value: other.json.id }] }]);
      expect(res.status).toBe(400);
      expect(res.json.scimType).toBe("invalidValue");
    });
    expect(await memberRole(b.org.id, other.json.id)).toBe("viewer");
  });

  it("filter displayName eq; other filters 400; another organization's group is 404", async () => {
    const found = await scim(LIST_GROUPS, tokenA, {
      path: `/api/scim/v2/Groups?filter=${encodeURIComponent('displayName eq "Auditors"')}`,
    });
    expect(found.json.Resources.map((g: { id: string }) => g.id)).toEqual([auditors]);
    const bad = await scim(LIST_GROUPS, tokenA, {
      path: `/api/scim/v2/Groups?filter=${encodeURIComponent('displayName co "A"')}`,
    });
    expect(bad.status).toBe(400);
    expect(bad.json.scimType).toBe("invalidFilter");
    expect((await scim(GET_GROUP, tokenB, { path: gpath(auditors), params: { id: auditors } })).status).toBe(404);
    expect(
      (await scim(DELETE_GROUP, tokenB, { method: "DELETE", path: gpath(auditors), params: { id: auditors } })).status,
    ).toBe(404);
    expect((await scim(LIST_GROUPS, tokenB)).json.totalResults).toBe(0);
  });

  it("deleting a group re-evaluates its members' roles", async () => {
    await patchGroup(auditors, [{ op: "add", path: "members", value: [{ value: u1 }] }]);
    expect(await memberRole(a.org.id, u1)).toBe("auditor");
    const del = await scim(DELETE_GROUP, tokenA, { method: "DELETE", path: gpath(auditors), params: { id: auditors } });
    expect(del.status).toBe(204);
    expect(await memberRole(a.org.id, u1)).toBe("viewer");
    expect((await scim(GET_GROUP, tokenA, { path: gpath(auditors), params: { id: auditors } })).status).toBe(404);
  });
});
