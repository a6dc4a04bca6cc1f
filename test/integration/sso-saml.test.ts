import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as GET_ONE, PATCH } from "@/app/api/v1/sso/connections/[id]/route";
import { POST as ENABLE } from "@/app/api/v1/sso/connections/[id]/enable/route";
import { POST as DISABLE } from "@/app/api/v1/sso/connections/[id]/disable/route";
import { GET as METADATA } from "@/app/api/sso/[connectionId]/metadata/route";
import { GET as WHOAMI } from "@/app/api/v1/session/route";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, callRaw, sessionCookie } from "../helpers/http";
import { startSamlIdp, type RespondOptions, type SamlIdp } from "../helpers/idp/saml-idp";
import { createSamlConnection, followComplete, postAcs, samlStart, sessionOf, verifyDomainFor } from "../helpers/sso";

let a: TestOrg;
let idp: SamlIdp;
let admin: string;
let conn: string;
let domain: string;

const ACS_BASE = "http://localhost:3999/api/sso";

beforeAll(async () => {
  a = await createTestOrg("saml");
  idp = await startSamlIdp();
  admin = (await sessionCookie(a.users.admin.id)).cookie;
  domain = `${a.org.slug}.example`;
  await verifyDomainFor(admin, a.org.slug, domain);
  conn = await createSamlConnection(admin, a.org.slug, idp, {
    group_roles: [{ group: "audit", role: "auditor" }],
  });
  // Test sign-in, then enable.
  idp.setUser({ nameId: `boss@${domain}`, email: `boss@${domain}`, groups: ["audit"] });
  const { request, binding } = await samlStart(`connection=${conn}&test=1&org=${a.org.slug}`, admin);
  const done = await followComplete(conn, await postAcs(conn, idp.respond(request), request.relayState), binding);
  expect(done.headers.get("location")).toContain(`/settings/sso?tested=${conn}`);
  const enabled = await call(ENABLE, { method: "POST", cookie: admin, org: a.org.slug, params: { id: conn } });
  expect(enabled.status, JSON.stringify(enabled.json)).toBe(200);
});

afterAll(async () => {
  await idp?.close();
  await closeOwner();
  await closeDb();
});

const events = async (action: string) =>
  (await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 AND action = $2 ORDER BY seq`, [a.org.id, action]))
    .rows;
const userByEmail = async (email: string) =>
  (await owner().query(`SELECT id FROM users WHERE email = $1`, [email])).rows[0] as { id: string } | undefined;

async function signIn(opts: RespondOptions = {}) {
  const { request, binding } = await samlStart(`identifier=${a.org.slug}`);
  const acs = await postAcs(conn, idp.respond(request, opts), request.relayState);
  if (acs.headers.get("location")?.includes("/login?")) return acs;
  return followComplete(conn, acs, binding);
}

async function expectRefused(res: Response, reason = "invalid_response", why?: RegExp) {
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe(`http://localhost:3999/login?sso_error=${reason}`);
  expect(sessionOf(res)).toBeNull();
  const failed = (await events("sso.sign_in_failed")).at(-1);
  expect(failed.data.reason).toBe(reason);
  // Refused for the reason the case is about, not for some other fault in the harness.
  if (why) expect(failed.data.detail).toMatch(why);
}

describe("SAML connection", () => {
  it("the test sign-in recorded what the IdP sent (attributes, groups, AuthnContext)", async () => {
    const res = await call(GET_ONE, { cookie: admin, org: a.org.slug, params: { id: conn } });
    expect(res.json).toMatchObject({ protocol: "saml", enabled: true, tested: true });
    expect(res.json.last_test).toMatchObject({
      ok: true,
      email: `boss@${domain}`,
      groups: ["audit"],
      mapped_role: "auditor",
    });
    expect(res.json.last_test.acr).toBe("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport");
    expect(await userByEmail(`boss@${domain}`)).toBeUndefined();
  });

  it("publishes SP metadata with the entity id and ACS", async () => {
    const res = await callRaw(METADATA, { path: `/api/sso/${conn}/metadata`, params: { connectionId: conn } });
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xml).toContain(`entityID="${ACS_BASE}/${conn}/metadata"`);
    expect(xml).toContain(`Location="${ACS_BASE}/${conn}/acs"`);
  });

  it("signs a new person in with JIT provisioning and the mapped role", async () => {
    const email = `ada@${domain}`;
    idp.setUser({ nameId: email, email, groups: ["audit"], name: "Ada" });
    const res = await signIn();
    expect(res.headers.get("location")).toBe(`http://localhost:3999/${a.org.slug}`);
    const cookie = sessionOf(res)!;
    const who = await call(WHOAMI, { cookie });
    expect(who.json.session.auth_methods).toEqual(["sso", `sso_org:${a.org.id}`]);
    expect(who.json.organizations).toEqual([{ slug: a.org.slug, name: a.org.name, role: "auditor" }]);
    expect((await events("sso.sign_in")).at(-1).data).toMatchObject({ protocol: "saml", email, provisioned: true });
  });
});

describe("refused SAML responses (each its own case; none signs anyone in)", () => {
  const victim = () => ({ nameId: `victim@${domain}`, email: `victim@${domain}` });

  it("unsigned", async () => {
    await expectRefused(await signIn({ user: victim(), sign: "none" }), undefined, /signature/i);
  });
  it("partly signed: the envelope is signed, the assertion is not", async () => {
    await expectRefused(await signIn({ user: victim(), sign: "response" }), undefined, /Invalid signature/);
  });
  it("signed by a key the connection does not trust", async () => {
    await expectRefused(await signIn({ user: victim(), foreignKey: true }), undefined, /signature/i);
  });
  it("tampered after signing (NameID and e-mail changed)", async () => {
    await expectRefused(await signIn({ user: victim(), tamper: true }), undefined, /signature/i);
    expect(await userByEmail("attacker@evil.example")).toBeUndefined();
  });
  it("XML signature wrapping (signed assertion hidden inside an unsigned evil one)", async () => {
    await expectRefused(await signIn({ user: victim(), wrap: true }), undefined, /signature/i);
    expect(await userByEmail("attacker@evil.example")).toBeUndefined();
  });
  it("wrong audience", async () => {
    await expectRefused(
      await signIn({ user: victim(), audience: "https://someone-else.example/sp" }),
      undefined,
      /audience/i,
    );
  });
  it("wrong recipient", async () => {
    await expectRefused(
      await signIn({ user: victim(), recipient: "https://someone-else.example/acs" }),
      undefined,
      /wrong recipient/,
    );
  });
  it("wrong destination", async () => {
    await expectRefused(
      await signIn({ user: victim(), destination: "https://someone-else.example/acs" }),
      undefined,
      /wrong destination/,
    );
  });
  it("wrong issuer", async () => {
    await expectRefused(
      await signIn({ user: victim(), issuer: "https://evil.example/idp" }),
      undefined,
      /wrong issuer/,
    );
  });
  it("expired", async () => {
    await expectRefused(
      await signIn({
        user: victim(),
        notBefore: new Date(Date.now() - 3_600_000),
        notOnOrAfter: new Date(Date.now() - 1_800_000),
      }),
      undefined,
      /expired|NotOnOrAfter/i,
    );
  });
  it("not yet valid", async () => {
    await expectRefused(
      await signIn({
        user: victim(),
        notBefore: new Date(Date.now() + 1_800_000),
        notOnOrAfter: new Date(Date.now() + 3_600_000),
      }),
      undefined,
      /not yet valid|NotBefore/i,
    );
  });
  it("InResponseTo of another request", async () => {
    await expectRefused(
      await signIn({ user: victim(), inResponseTo: "_someone-elses-request" }),
      undefined,
      /InResponseTo/,
    );
  });
  it("no InResponseTo on an SP-initiated sign-in", async () => {
    await expectRefused(await signIn({ user: victim(), inResponseTo: null }), undefined, /InResponseTo/);
  });

  it("a replayed assertion (the same response posted again)", async () => {
    idp.setUser(victim());
    const { request, binding } = await samlStart(`identifier=${a.org.slug}`);
    const body = idp.respond(request);
    expect(sessionOf(await followComplete(conn, await postAcs(conn, body, request.relayState), binding))).toBeTruthy();
    await expectRefused(await postAcs(conn, body, request.relayState), "replayed");
    // The same assertion under a fresh request of our own is refused by its id.
    const again = await samlStart(`identifier=${a.org.slug}`);
    const fixedId = `_fixed${Date.now()}`;
    const first = idp.respond(again.request, { assertionId: fixedId });
    expect(
      sessionOf(await followComplete(conn, await postAcs(conn, first, again.request.relayState), again.binding)),
    ).toBeTruthy();
    const third = await samlStart(`identifier=${a.org.slug}`);
    await expectRefused(
      await postAcs(conn, idp.respond(third.request, { assertionId: fixedId }), third.request.relayState),
      "replayed",
    );
  });

  it("login CSRF: the complete step in a browser without the binding cookie", async () => {
    idp.setUser(victim());
    const { request } = await samlStart(`identifier=${a.org.slug}`);
    const acs = await postAcs(conn, idp.respond(request), request.relayState);
    await expectRefused(await followComplete(conn, acs), "binding_mismatch");
  });

  it("IdP-initiated is refused unless the connection allows it", async () => {
    idp.setUser(victim());
    const unsolicited = idp.respond({
      id: null,
      acsUrl: `${ACS_BASE}/${conn}/acs`,
      issuer: `${ACS_BASE}/${conn}/metadata`,
    });
    await expectRefused(await postAcs(conn, unsolicited, null), "unsolicited");
    expect((await events("sso.sign_in_failed")).at(-1).data.reason).toBe("unsolicited");
  });

  it("IdP-initiated, when an admin allowed it, signs in once", async () => {
    // Changing what the connection accepts is an IdP-settings change: disable, change, test, enable.
    expect((await call(DISABLE, { method: "POST", cookie: admin, org: a.org.slug, params: { id: conn } })).status).toBe(
      200,
    );
    const patched = await call(PATCH, {
      method: "PATCH",
      cookie: admin,
      org: a.org.slug,
      params: { id: conn },
      body: { allow_idp_initiated: true },
    });
    expect(patched.json.tested).toBe(false);
    idp.setUser({ nameId: `boss@${domain}`, email: `boss@${domain}` });
    const t = await samlStart(`connection=${conn}&test=1&org=${a.org.slug}`, admin);
    await followComplete(conn, await postAcs(conn, idp.respond(t.request), t.request.relayState), t.binding);
    expect((await call(ENABLE, { method: "POST", cookie: admin, org: a.org.slug, params: { id: conn } })).status).toBe(
      200,
    );

    const email = `idpinit@${domain}`;
    idp.setUser({ nameId: email, email });
    const body = idp.respond({ id: null, acsUrl: `${ACS_BASE}/${conn}/acs`, issuer: `${ACS_BASE}/${conn}/metadata` });
    const acs = await postAcs(conn, body, null);
    const binding = acs.headers
      .getSetCookie()
      .find((c) => c.startsWith("warden-sso="))!
      .split(";")[0]!;
    expect(sessionOf(await followComplete(conn, acs, binding))).toBeTruthy();
    await expectRefused(await postAcs(conn, body, null), "replayed");
    // An IdP-initiated response must not carry an InResponseTo.
    const forged = idp.respond(
      { id: null, acsUrl: `${ACS_BASE}/${conn}/acs`, issuer: `${ACS_BASE}/${conn}/metadata` },
      { inResponseTo: "_guessed" },
    );
    await expectRefused(await postAcs(conn, forged, null), undefined, /InResponseTo/);
  });

  it("a pathological body: not a form, or too large", async () => {
    const { POST: ACS } = await import("@/app/api/sso/[connectionId]/acs/route");
    const json = await callRaw(ACS, {
      method: "POST",
      path: `/api/sso/${conn}/acs`,
      rawBody: "{}",
      headers: { "content-type": "application/json" },
      params: { connectionId: conn },
    });
    expect(json.status).toBe(303);
    const huge = await callRaw(ACS, {
      method: "POST",
      path: `/api/sso/${conn}/acs`,
      rawBody: `SAMLResponse=${"A".repeat(1_100_000)}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      params: { connectionId: conn },
    });
    expect(huge.status).toBe(303);
    expect(huge.headers.get("location")).toContain("sso_error=");
  });
});
