import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as whoami } from "@/app/api/v1/auth/whoami/route";
import { GET as list, POST as create } from "@/app/api/v1/auth/api-keys/route";
import { DELETE as revoke } from "@/app/api/v1/auth/api-keys/[id]/route";
import { POST as rotate } from "@/app/api/v1/auth/api-keys/[id]/rotate/route";
import { POST as emergency } from "@/app/api/v1/auth/emergency-revoke/route";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";
import { bearer, createKey } from "../helpers/keys";

let a: TestOrg;
let b: TestOrg;
let adminA: string;
let viewerA: string;
let approverA: string;
let adminB: string;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("keys-a"), createTestOrg("keys-b")]);
  adminA = (await sessionCookie(a.users.admin.id)).cookie;
  viewerA = (await sessionCookie(a.users.viewer.id)).cookie;
  approverA = (await sessionCookie(a.users.approver.id)).cookie;
  adminB = (await sessionCookie(b.users.admin.id)).cookie;
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const headSeq = async (orgId: string) =>
  Number((await owner().query(`SELECT seq FROM audit_heads WHERE org_id = $1`, [orgId])).rows[0].seq);
const keyCount = async (orgId: string) =>
  (await owner().query(`SELECT count(*)::int n FROM api_keys WHERE org_id = $1`, [orgId])).rows[0].n as number;
const lastEvent = async (orgId: string) =>
  (await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`, [orgId])).rows[0];

async function expectNothingWritten(orgId: string, fn: () => Promise<void>) {
  const [seq, n] = [await headSeq(orgId), await keyCount(orgId)];
  await fn();
  expect([await headSeq(orgId), await keyCount(orgId)]).toEqual([seq, n]);
}

const post = (body: unknown, cookie = adminA, org = a.org.slug) => call(create, { method: "POST", cookie, org, body });

describe("POST /api/v1/auth/api-keys", () => {
  it("201 returns the full key once; only its hash is stored; audited", async () => {
    const res = await post({
      name: "billing agent",
      scopes: ["actions:submit", "actions:read"],
      ip_allowlist: ["203.0.113.9", "2001:db8::/32"],
      expires_at: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      rate_limit_per_minute: 120,
    });
    expect(res.status).toBe(201);
    expect(res.json.token).toMatch(/^wdn_live_/);
    expect(res.json.key).toMatchObject({
      name: "billing agent",
      status: "active",
      ip_allowlist: ["203.0.113.9/32", "2001:db8::/32"],
      rate_limit_per_minute: 120,
    });
    expect(res.json.key).not.toHaveProperty("secret_hash");
    const row = (await owner().query(`SELECT * FROM api_keys WHERE id = $1`, [res.json.key.id])).rows[0];
    expect(JSON.stringify(row)).not.toContain(res.json.token.slice(32, 64));
    expect(await lastEvent(a.org.id)).toMatchObject({
      action: "api_key.created",
      target_id: res.json.key.id,
      actor_id: a.users.admin.id,
    });
    // it is never returned again
    const listed = await call(list, { cookie: adminA, org: a.org.slug });
    expect(JSON.stringify(listed.json)).not.toContain(res.json.token);
  });

  it("201 for a test-environment key", async () => {
    const res = await post({ name: "sandbox", environment: "test", scopes: ["actions:submit"] });
    expect(res.status).toBe(201);
    expect(res.json.token).toMatch(/^wdn_test_/);
  });

  it.each([
    [{ name: "x", scopes: ["actions:launch_missiles"] }, "scopes.0"],
    [{ name: "x", scopes: [] }, "scopes"],
    [{ name: "x", scopes: ["actions:read", "actions:read"] }, "scopes"],
    [{ name: "x", scopes: ["actions:read"], ip_allowlist: ["10.0.0.0/33"] }, "ip_allowlist.0"],
    [{ name: "x", scopes: ["actions:read"], ip_allowlist: ["example.com"] }, "ip_allowlist.0"],
    [{ name: "x", scopes: ["actions:read"], expires_at: new Date(Date.now() - 1000).toISOString() }, "expires_at"],
    [{ name: "x", scopes: ["actions:read"], expires_at: "tomorrow" }, "expires_at"],
    [{ name: "x", scopes: ["actions:read"], rate_limit_per_minute: 0 }, "rate_limit_per_minute"],
    [{ name: "", scopes: ["actions:read"] }, "name"],
  ])("422 for %j (%s); nothing written", async (body, path) => {
    await expectNothingWritten(a.org.id, async () => {
      const res = await post(body);
      expect(res.status).toBe(422);
      expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(path);
    });
  });

  it("403 when a key tries to mint a key with scopes beyond its own", async () => {
    const k = await createKey(a, { scopes: ["keys:write", "actions:read"] });
    await expectNothingWritten(a.org.id, async () => {
      const res = await call(create, {
        method: "POST",
        headers: bearer(k.token),
        body: { name: "escalate", scopes: ["audit:export"] },
      });
      expect(res.status).toBe(403);
      expect(res.json.detail).toMatch(/audit:export/);
    });
    const ok = await call(create, {
      method: "POST",
      headers: bearer(k.token),
      body: { name: "narrower", scopes: ["actions:read"] },
    });
    expect(ok.status).toBe(201);
    expect(ok.json.key.created_by).toEqual({
      type: "api_key",
      id: k.id,
      on_behalf_of: { id: a.users.admin.id, email: a.users.admin.email, role: "admin" },
    });
  });

  it("401 without credentials; 403 for a viewer or an approver", async () => {
    expect(
      (await call(create, { method: "POST", org: a.org.slug, body: { name: "x", scopes: ["actions:read"] } })).status,
    ).toBe(401);
    expect((await post({ name: "x", scopes: ["actions:read"] }, viewerA)).status).toBe(403);
    expect((await post({ name: "x", scopes: ["actions:read"] }, approverA)).status).toBe(403);
  });

  it("429 when the calling key is over its rate limit", async () => {
    const k = await createKey(a, { scopes: ["keys:write", "actions:read"], rate_limit_per_minute: 1 });
    expect(
      (
        await call(create, {
          method: "POST",
          headers: bearer(k.token),
          body: { name: "one", scopes: ["actions:read"] },
        })
      ).status,
    ).toBe(201);
    const res = await call(create, {
      method: "POST",
      headers: bearer(k.token),
      body: { name: "two", scopes: ["actions:read"] },
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBeTruthy();
  });
});

describe("GET /api/v1/auth/api-keys", () => {
  it("200 lists this organization's keys only, with status, creator and usage", async () => {
    await createKey(b);
    const res = await call(list, { cookie: adminA, org: a.org.slug });
    expect(res.status).toBe(200);
    const ids = new Set(
      (await owner().query(`SELECT id FROM api_keys WHERE org_id = $1`, [a.org.id])).rows.map((r) => r.id),
    );
    expect(res.json.keys.length).toBe(ids.size);
    for (const k of res.json.keys) expect(ids.has(k.id)).toBe(true);
    const mine = res.json.keys.find(
      (k: { created_by: { email?: string } | null }) => k.created_by?.email === a.users.admin.email,
    );
    expect(mine).toBeTruthy();
  });

  it("flags keys older than 90 days for rotation", async () => {
    const k = await createKey(a);
    await owner().query(`UPDATE api_keys SET created_at = now() - interval '91 days' WHERE id = $1`, [k.id]);
    const res = await call(list, { cookie: adminA, org: a.org.slug });
    expect(res.json.keys.find((x: { id: string }) => x.id === k.id).rotation_due).toBe(true);
  });

  it("401 / 403 (viewer) / 404 (organization of someone else)", async () => {
    expect((await call(list, { org: a.org.slug })).status).toBe(401);
    expect((await call(list, { cookie: viewerA, org: a.org.slug })).status).toBe(403);
    expect((await call(list, { cookie: adminB, org: a.org.slug })).status).toBe(404);
  });
});

describe("DELETE /api/v1/auth/api-keys/{id}", () => {
  it("200 revokes; the key's next request gets 401; audited", async () => {
    const k = await createKey(a);
    expect((await call(whoami, { headers: bearer(k.token) })).status).toBe(200);
    const res = await call(revoke, { method: "DELETE", cookie: adminA, org: a.org.slug, params: { id: k.id } });
    expect(res.status).toBe(200);
    expect(res.json.key.status).toBe("revoked");
    expect((await call(whoami, { headers: bearer(k.token) })).status).toBe(401);
    expect(await lastEvent(a.org.id)).toMatchObject({ action: "api_key.revoked", target_id: k.id });
  });
  it("404 for another organization's key; it keeps working", async () => {
    const k = await createKey(b);
    const res = await call(revoke, { method: "DELETE", cookie: adminA, org: a.org.slug, params: { id: k.id } });
    expect(res.status).toBe(404);
    expect((await call(whoami, { headers: bearer(k.token) })).status).toBe(200);
  });
  it("404 for a malformed id, 409 when already revoked, 403 for a viewer", async () => {
    expect(
      (await call(revoke, { method: "DELETE", cookie: adminA, org: a.org.slug, params: { id: "../../x" } })).status,
    ).toBe(404);
    const k = await createKey(a);
    expect(
      (await call(revoke, { method: "DELETE", cookie: adminA, org: a.org.slug, params: { id: k.id } })).status,
    ).toBe(200);
    expect(
      (await call(revoke, { method: "DELETE", cookie: adminA, org: a.org.slug, params: { id: k.id } })).status,
    ).toBe(409);
    const k2 = await createKey(a);
    expect(
      (await call(revoke, { method: "DELETE", cookie: viewerA, org: a.org.slug, params: { id: k2.id } })).status,
    ).toBe(403);
  });
});

describe("POST /api/v1/auth/api-keys/{id}/rotate", () => {
  it("201 issues a new key at once; the old one keeps working until the grace period ends", async () => {
    const k = await createKey(a, { expires_at: new Date(Date.now() + 30 * 86_400_000).toISOString() });
    const res = await call(rotate, {
      method: "POST",
      cookie: adminA,
      org: a.org.slug,
      params: { id: k.id },
      body: { grace_period_seconds: 600 },
    });
    expect(res.status).toBe(201);
    expect(res.json.token).not.toBe(k.token);
    expect(res.json.previous.status).toBe("rotating");
    expect(new Date(res.json.previous.expires_at).getTime()).toBeLessThanOrEqual(Date.now() + 601_000);
    expect(new Date(res.json.key.expires_at).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect((await call(whoami, { headers: bearer(k.token) })).status).toBe(200);
    expect((await call(whoami, { headers: bearer(res.json.token) })).status).toBe(200);
    expect(await lastEvent(a.org.id)).toMatchObject({
      action: "api_key.rotated",
      data: { grace_period_seconds: 600, replacement_id: res.json.key.id },
    });
  });
  it.each([
    [{ grace_period_seconds: -1 }],
    [{ grace_period_seconds: 7 * 86_400 + 1 }],
    [{ grace_period_seconds: "1d" }],
    [{}],
  ])("422 for %j", async (body) => {
    const k = await createKey(a);
    await expectNothingWritten(a.org.id, async () => {
      expect(
        (await call(rotate, { method: "POST", cookie: adminA, org: a.org.slug, params: { id: k.id }, body })).status,
      ).toBe(422);
    });
  });
  it("404 for another organization's key; 409 for a revoked or already rotated key", async () => {
    const other = await createKey(b);
    expect(
      (
        await call(rotate, {
          method: "POST",
          cookie: adminA,
          org: a.org.slug,
          params: { id: other.id },
          body: { grace_period_seconds: 0 },
        })
      ).status,
    ).toBe(404);
    const k = await createKey(a);
    expect(
      (
        await call(rotate, {
          method: "POST",
          cookie: adminA,
          org: a.org.slug,
          params: { id: k.id },
          body: { grace_period_seconds: 60 },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call(rotate, {
          method: "POST",
          cookie: adminA,
          org: a.org.slug,
          params: { id: k.id },
          body: { grace_period_seconds: 60 },
        })
      ).status,
    ).toBe(409);
    const r = await createKey(a);
    await call(revoke, { method: "DELETE", cookie: adminA, org: a.org.slug, params: { id: r.id } });
    expect(
      (
        await call(rotate, {
          method: "POST",
          cookie: adminA,
          org: a.org.slug,
          params: { id: r.id },
          body: { grace_period_seconds: 60 },
        })
      ).status,
    ).toBe(409);
  });
});

describe("POST /api/v1/auth/emergency-revoke", () => {
  it("revokes every key of the organization in one go, records the reason, and leaves the other organization's keys working", async () => {
    const t = await createTestOrg("er");
    const other = await createTestOrg("er-other");
    const mine = await Promise.all([createKey(t), createKey(t), createKey(t)]);
    const theirs = await createKey(other);
    const cookie = (await sessionCookie(t.users.admin.id)).cookie;
    const res = await call(emergency, {
      method: "POST",
      cookie,
      org: t.org.slug,
      body: { reason: "key leaked in a public repo" },
    });
    expect(res.status).toBe(200);
    expect(res.json.revoked_count).toBe(3);
    for (const k of mine) expect((await call(whoami, { headers: bearer(k.token) })).status).toBe(401);
    expect((await call(whoami, { headers: bearer(theirs.token) })).status).toBe(200);
    expect(await lastEvent(t.org.id)).toMatchObject({
      action: "api_key.emergency_revoked",
      data: { reason: "key leaked in a public repo", revoked_count: 3 },
    });
    const reasons = (await owner().query(`SELECT DISTINCT revoke_reason FROM api_keys WHERE org_id = $1`, [t.org.id]))
      .rows;
    expect(reasons).toEqual([{ revoke_reason: "emergency: key leaked in a public repo" }]);
  });
  it("403 for an approver and for an API key without org:admin; 422 without a reason", async () => {
    expect(
      (await call(emergency, { method: "POST", cookie: approverA, org: a.org.slug, body: { reason: "nope nope" } }))
        .status,
    ).toBe(403);
    const k = await createKey(a, { scopes: ["keys:write"] });
    expect(
      (await call(emergency, { method: "POST", headers: bearer(k.token), body: { reason: "nope nope" } })).status,
    ).toBe(403);
    await expectNothingWritten(a.org.id, async () => {
      expect((await call(emergency, { method: "POST", cookie: adminA, org: a.org.slug, body: {} })).status).toBe(422);
    });
  });
});

describe("GET /api/v1/auth/whoami", () => {
  it("200 for a key: organization, scopes, expiry", async () => {
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const k = await createKey(a, { scopes: ["actions:submit"], expires_at: expires });
    const res = await call(whoami, { headers: bearer(k.token) });
    expect(res.json).toMatchObject({
      organization: { slug: a.org.slug },
      key: { scopes: ["actions:submit"], expires_at: expires, environment: "live" },
    });
  });
  it("200 for a session, with the role's permissions; 401 without credentials", async () => {
    const res = await call(whoami, { cookie: viewerA, org: a.org.slug });
    expect(res.json).toMatchObject({ principal: "user", role: "viewer" });
    expect((await call(whoami, {})).status).toBe(401);
  });
});
