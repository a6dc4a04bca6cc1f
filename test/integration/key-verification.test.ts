import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as whoami } from "@/app/api/v1/auth/whoami/route";
import { GET as listMembers } from "@/app/api/v1/members/route";
import { closeDb } from "@/lib/db/client";
import { generateApiKey } from "@/lib/keys/format";
import { rotateApiKey } from "@/lib/keys/rotate-api-key";
import { verifyApiKey } from "@/lib/keys/verify-api-key";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call } from "../helpers/http";
import { bearer, createKey, memberContext } from "../helpers/keys";

let t: TestOrg;
afterAll(async () => {
  await closeOwner();
  await closeDb();
});
beforeAll(async () => {
  t = await createTestOrg("verify");
});

const ask = (token: string, extra: Record<string, string> = {}) =>
  call(whoami, { headers: { ...bearer(token), ...extra } });

describe("the key verification matrix", () => {
  it("valid: 200, with RateLimit headers, and last use recorded", async () => {
    const k = await createKey(t);
    const res = await ask(k.token);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      principal: "api_key",
      organization: { slug: t.org.slug },
      key: { id: k.id, scopes: ["actions:submit", "actions:read"] },
    });
    expect(res.headers.get("ratelimit-policy")).toMatch(/"key";q=600;w=60/);
    expect(res.headers.get("ratelimit")).toMatch(/r=\d+;t=\d+/);
    await expect
      .poll(
        async () =>
          (await owner().query(`SELECT last_used_ip FROM api_keys WHERE id = $1`, [k.id])).rows[0].last_used_ip,
      )
      .toBe("127.0.0.1");
  });

  it("unknown key (well-formed, right checksum, no such id): 401", async () => {
    const res = await ask(generateApiKey("7d444840-9dc0-11d1-b245-5ffdce74fad2", "live").token);
    expect(res.status).toBe(401);
    expect(res.json.detail).toBe("Invalid API key");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("bad checksum: 401 without touching the database", async () => {
    const k = await createKey(t);
    const typo = k.token.slice(0, -1) + (k.token.endsWith("a") ? "b" : "a");
    expect((await verifyApiKey(typo, { ip: null, permission: null })).status).toBe("bad_checksum");
    expect((await ask(typo)).status).toBe(401);
  });

  it("wrong secret for a real id: 401, the same answer as an unknown key", async () => {
    const k = await createKey(t);
    const forged = generateApiKey(k.id, "live").token; // same id, different secret, valid checksum
    const res = await ask(forged);
    expect(res.status).toBe(401);
    expect(res.json.detail).toBe("Invalid API key");
    expect((await verifyApiKey(forged, { ip: null, permission: null })).status).toBe("invalid_secret");
  });

  it("revoked: 401 on the very next request", async () => {
    const k = await createKey(t);
    expect((await ask(k.token)).status).toBe(200);
    await owner().query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [k.id]);
    const res = await ask(k.token);
    expect(res.status).toBe(401);
    expect(res.json.detail).toMatch(/revoked/);
  });

  it("expired: 401", async () => {
    const k = await createKey(t, { expires_at: new Date(Date.now() + 60_000).toISOString() });
    expect((await ask(k.token)).status).toBe(200);
    await owner().query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [k.id]);
    expect((await ask(k.token)).json.detail).toMatch(/expired/);
  });

  it("IP not allowed: 403 (the key is valid, the address is not); a forged X-Forwarded-For does not help", async () => {
    const k = await createKey(t, { ip_allowlist: ["203.0.113.0/24"] });
    // call() presents the client as 127.0.0.1 (what server.mjs decided from the socket).
    const res = await ask(k.token, { "x-forwarded-for": "203.0.113.5", "x-real-ip": "203.0.113.5" });
    expect(res.status).toBe(403);
    expect(res.json.detail).toMatch(/address/);
    const ok = await ask(k.token, { "x-warden-client-ip": "203.0.113.5" });
    expect(ok.status).toBe(200);
  });

  it("scope missing: 403", async () => {
    const k = await createKey(t, { scopes: ["actions:read"] });
    const res = await call(listMembers, { headers: bearer(k.token) });
    expect(res.status).toBe(403);
    expect(res.json.detail).toMatch(/scopes/);
  });

  it("a key in the query string is refused, even a valid one", async () => {
    const k = await createKey(t);
    const res = await call(whoami, { path: `/api/v1/auth/whoami?key=${k.token}` });
    expect(res.status).toBe(400);
  });

  it("malformed Authorization headers: 401", async () => {
    for (const h of ["Basic Zm9vOmJhcg==", "Bearer", "Bearer a b", "wdn_live_x"]) {
      expect((await call(whoami, { headers: { authorization: h } })).status).toBe(401);
    }
  });

  it("rotated old key: works during the grace period, refused after it; the new key works", async () => {
    const k = await createKey(t);
    const rotated = await rotateApiKey(memberContext(t), k.id, { grace_period_seconds: 3600 }, null);
    expect((await ask(k.token)).status).toBe(200);
    expect((await ask(k.token)).json.key.rotating).toBe(true);
    expect((await ask(rotated.token)).status).toBe(200);
    // the grace period ends
    await owner().query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [k.id]);
    expect((await ask(k.token)).status).toBe(401);
    expect((await ask(rotated.token)).status).toBe(200);
  });

  it("rotation with no grace stops the old key at once", async () => {
    const k = await createKey(t);
    const rotated = await rotateApiKey(memberContext(t), k.id, { grace_period_seconds: 0 }, null);
    expect((await ask(k.token)).status).toBe(401);
    expect((await ask(rotated.token)).status).toBe(200);
  });

  it("a session-only endpoint refuses API keys", async () => {
    const { DELETE } = await import("@/app/api/v1/session/route");
    const k = await createKey(t);
    expect((await call(DELETE, { method: "DELETE", headers: bearer(k.token) })).status).toBe(401);
  });
});

describe("rate limits", () => {
  it("per key: 429 with Retry-After and RateLimit headers once the key's limit is used up", async () => {
    const k = await createKey(t, { rate_limit_per_minute: 3 });
    for (let i = 0; i < 3; i++) expect((await ask(k.token)).status).toBe(200);
    const res = await ask(k.token);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(res.headers.get("ratelimit")).toMatch(/^"key";r=0;t=\d+/);
    expect(res.headers.get("ratelimit-policy")).toContain('"key";q=3;w=60');
    // another key of the same organization is unaffected
    expect((await ask((await createKey(t)).token)).status).toBe(200);
  });
});
