import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { POST as CREATE } from "@/app/api/v1/sso/connections/route";
import { GET as START } from "@/app/api/sso/start/route";
import { closeDb } from "@/lib/db/client";
import { idpFetchWith, idpPrivateCidrs, setIdpResolver } from "@/lib/sso/idp-fetch";
import { SafeHttpError } from "@/lib/connectors/safe-http";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, callRaw, sessionCookie } from "../helpers/http";
import { bindingOf, deliverCallback } from "../helpers/sso";

/**
 * Warden's own requests to identity providers go through the SSRF-safe client
 * (lib/sso/idp-fetch.ts): private and internal addresses are refused unless
 * WARDEN_SSO_PRIVATE_IDP_CIDRS allows them (the tests allow 127.0.0.1/32 only).
 */

let server: Server;
let base: string;
const hits: string[] = [];
let discovery: Record<string, unknown> = {};
let a: TestOrg;
let admin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? "");
    if (req.url === "/.well-known/openid-configuration") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(discovery));
    } else if (req.url === "/redirect") {
      res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" });
      res.end();
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, path: req.url }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  discovery = {
    issuer: base,
    authorization_endpoint: `${base}/authorize`,
    // Every later request must pass the same checks as discovery did.
    token_endpoint: "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    jwks_uri: `${base}/jwks`,
    response_types_supported: ["code"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
  };
  a = await createTestOrg("ssrf");
  admin = (await sessionCookie(a.users.admin.id)).cookie;
});

afterEach(() => setIdpResolver(null));

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await closeOwner();
  await closeDb();
});

const get = (f: ReturnType<typeof idpFetchWith>, url: string) =>
  f(url, { method: "GET", headers: { accept: "application/json" }, redirect: "manual" } as never);

async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SafeHttpError);
  return (e as SafeHttpError).reason;
}

describe("the identity-provider fetch", () => {
  it("fails closed: without an allowance, a loopback IdP is refused and never contacted", async () => {
    const before = hits.length;
    expect(await refusal(get(idpFetchWith({ allowPrivateCidrs: [] }), `${base}/x`))).toBe("address_not_allowed");
    expect(hits.length).toBe(before);
  });

  it("the test allowance comes from WARDEN_SSO_PRIVATE_IDP_CIDRS and reaches the local IdP", async () => {
    expect(idpPrivateCidrs()).toEqual(["127.0.0.1/32"]);
    const res = await get(idpFetchWith({ allowPrivateCidrs: idpPrivateCidrs() }), `${base}/x`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, path: "/x" });
  });

  it("cloud metadata (169.254.169.254) and other private ranges stay refused with loopback allowed", async () => {
    const f = idpFetchWith({ allowPrivateCidrs: ["127.0.0.1/32"] });
    for (const url of [
      "http://169.254.169.254/latest/meta-data/",
      "http://10.0.0.7/.well-known/openid-configuration",
      "http://[::1]:8080/",
      "http://[::ffff:169.254.169.254]/",
      "http://127.0.0.2/",
    ]) {
      expect(await refusal(get(f, url)), url).toBe("address_not_allowed");
    }
  });

  it("a name is judged by every address it resolves to", async () => {
    const f = idpFetchWith({ allowPrivateCidrs: ["127.0.0.1/32"] });
    setIdpResolver(async () => [{ address: "169.254.169.254", family: 4 }]);
    expect(await refusal(get(f, "http://metadata.attacker.example/"))).toBe("address_not_allowed");
    setIdpResolver(async () => [
      { address: "203.0.113.10", family: 4 },
      { address: "10.1.2.3", family: 4 },
    ]);
    expect(await refusal(get(f, "http://mixed.attacker.example/"))).toBe("address_not_allowed");
  });

  it("a redirect is refused, never followed (to the metadata address or anywhere)", async () => {
    const f = idpFetchWith({ allowPrivateCidrs: ["127.0.0.1/32", "169.254.169.254/32"] });
    expect(await refusal(get(f, `${base}/redirect`))).toBe("too_many_redirects");
  });
});

describe("SSO connections and sign-in", () => {
  const createOidc = (issuer: string) =>
    call(CREATE, {
      method: "POST",
      cookie: admin,
      org: a.org.slug,
      body: { protocol: "oidc", name: "x", oidc: { issuer, client_id: "c" }, client_secret: "s" },
    });

  it("422 for an issuer at a private or metadata IP literal, nothing written", async () => {
    const before = Number(
      (await owner().query(`SELECT count(*) FROM sso_connections WHERE org_id = $1`, [a.org.id])).rows[0].count,
    );
    for (const issuer of ["http://169.254.169.254", "http://10.0.0.1/realms/x", "http://[::1]:9000"]) {
      const res = await createOidc(issuer);
      expect(res.status, issuer).toBe(422);
      expect(res.json.errors.map((e: { path: string }) => e.path)).toContain("oidc.issuer");
    }
    const after = Number(
      (await owner().query(`SELECT count(*) FROM sso_connections WHERE org_id = $1`, [a.org.id])).rows[0].count,
    );
    expect(after).toBe(before);
  });

  it("an issuer name that resolves to the metadata address: the test sign-in is refused before any request", async () => {
    const created = await createOidc("http://idp.attacker.example");
    expect(created.status).toBe(201);
    setIdpResolver(async () => [{ address: "169.254.169.254", family: 4 }]);
    const res = await callRaw(START, {
      path: `/api/sso/start?connection=${created.json.id}&test=1&org=${a.org.slug}`,
      cookie: admin,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toContain("test_error=idp_address_refused");
  });

  it("discovery on an allowed address naming a token endpoint at the metadata address: the code exchange is refused", async () => {
    const created = await createOidc(base);
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const start = await callRaw(START, {
      path: `/api/sso/start?connection=${id}&test=1&org=${a.org.slug}`,
      cookie: admin,
    });
    expect(start.status).toBe(303);
    const authorize = new URL(start.headers.get("location")!);
    expect(authorize.origin + authorize.pathname).toBe(`${base}/authorize`);
    const state = authorize.searchParams.get("state")!;
    const callbackUrl = `http://localhost:3999/api/sso/${id}/callback?code=abc&state=${encodeURIComponent(state)}`;
    const done = await deliverCallback(id, callbackUrl, bindingOf(start));
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toContain(`/settings/sso?tested=${id}`);
    const row = (await owner().query(`SELECT last_test FROM sso_connections WHERE id = $1`, [id])).rows[0];
    expect(row.last_test).toMatchObject({ ok: false, reason: "idp_address_refused" });
    const event = (
      await owner().query(
        `SELECT data FROM audit_events WHERE org_id = $1 AND action = 'sso.connection_tested' ORDER BY seq DESC LIMIT 1`,
        [a.org.id],
      )
    ).rows[0];
    expect(event.data).toMatchObject({ ok: false, reason: "idp_address_refused" });
  });
});
