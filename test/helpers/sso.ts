import { expect } from "vitest";
import { GET as START } from "@/app/api/sso/start/route";
import { GET as CALLBACK } from "@/app/api/sso/[connectionId]/callback/route";
import { POST as ACS } from "@/app/api/sso/[connectionId]/acs/route";
import { GET as COMPLETE } from "@/app/api/sso/[connectionId]/complete/route";
import { POST as CREATE } from "@/app/api/v1/sso/connections/route";
import { POST as ENABLE } from "@/app/api/v1/sso/connections/[id]/enable/route";
import { POST as ADD_DOMAIN } from "@/app/api/v1/sso/domains/route";
import { POST as VERIFY_DOMAIN } from "@/app/api/v1/sso/domains/[id]/verify/route";
import { recordName, recordValue } from "@/lib/sso/domains";
import { setTxtResolver } from "@/lib/sso/dns";
import { BASE, call, callRaw } from "./http";
import { followUntil } from "./idp/browser";
import { parseAuthnRequest, type ParsedRequest } from "./idp/saml-idp";

/** DNS for the tests: TXT records by name, set by the tests. */
export const txtRecords = new Map<string, string[][]>();
setTxtResolver(async (name) => txtRecords.get(name) ?? []);

/** Adds a domain to an organization and publishes + verifies its TXT record. */
export async function verifyDomainFor(adminCookie: string, org: string, domain: string): Promise<string> {
  const added = await call(ADD_DOMAIN, { method: "POST", cookie: adminCookie, org, body: { domain } });
  expect(added.status, JSON.stringify(added.json)).toBe(201);
  txtRecords.set(recordName(domain), [[added.json.record_value as string]]);
  expect(added.json.record_value).toBe(recordValue(added.json.record_value.split("=")[1]));
  const verified = await call(VERIFY_DOMAIN, {
    method: "POST",
    cookie: adminCookie,
    org,
    params: { id: added.json.id },
  });
  expect(verified.json.status).toBe("verified");
  return added.json.id as string;
}

export async function createOidcConnection(
  adminCookie: string,
  org: string,
  idp: { issuer: string; clientId: string; clientSecret: string },
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await call(CREATE, {
    method: "POST",
    cookie: adminCookie,
    org,
    body: {
      protocol: "oidc",
      name: "Test IdP",
      oidc: { issuer: idp.issuer, client_id: idp.clientId },
      client_secret: idp.clientSecret,
      ...extra,
    },
  });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.id as string;
}

export function callbackPrefix(connectionId: string): string {
  return `${BASE}/api/sso/${connectionId}/callback`;
}

export function bindingOf(res: Response): string {
  const line = res.headers.getSetCookie().find((c) => c.startsWith("warden-sso="));
  expect(line, "binding cookie").toBeTruthy();
  return line!.split(";")[0]!;
}

/** "Continue with SSO" up to the moment the IdP sends the browser back: the callback URL and the binding cookie. */
export async function startAndAuthorize(
  query: string,
  connectionId: string,
  cookie?: string,
): Promise<{ callbackUrl: string; binding: string }> {
  const start = await callRaw(START, { path: `/api/sso/start?${query}`, cookie });
  expect(start.status).toBe(303);
  const binding = bindingOf(start);
  const callbackUrl = await followUntil(start.headers.get("location")!, callbackPrefix(connectionId));
  return { callbackUrl, binding };
}

/** Delivers the IdP's redirect to our callback, as the browser would. */
export async function deliverCallback(connectionId: string, callbackUrl: string, binding?: string): Promise<Response> {
  const u = new URL(callbackUrl);
  return callRaw(CALLBACK, { path: `${u.pathname}${u.search}`, cookie: binding, params: { connectionId } });
}

export async function testAndEnable(adminCookie: string, org: string, connectionId: string): Promise<void> {
  const { callbackUrl, binding } = await startAndAuthorize(
    `connection=${connectionId}&test=1`,
    connectionId,
    adminCookie,
  );
  const done = await deliverCallback(connectionId, callbackUrl, binding);
  expect(done.status).toBe(303);
  expect(done.headers.get("location")).toContain(`/settings/sso?tested=${connectionId}`);
  const enabled = await call(ENABLE, { method: "POST", cookie: adminCookie, org, params: { id: connectionId } });
  expect(enabled.status, JSON.stringify(enabled.json)).toBe(200);
}

/** The session cookie a successful SSO sign-in set, as a Cookie header value. */
export function sessionOf(res: Response): string | null {
  const line = res.headers.getSetCookie().find((c) => c.startsWith("next-auth.session-token="));
  return line ? line.split(";")[0]! : null;
}

export async function createSamlConnection(
  adminCookie: string,
  org: string,
  idp: { issuer: string; cert: string; entryPoint: string },
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await call(CREATE, {
    method: "POST",
    cookie: adminCookie,
    org,
    body: {
      protocol: "saml",
      name: "Test SAML IdP",
      saml: { entry_point: idp.entryPoint, idp_issuer: idp.issuer, idp_certificate: idp.cert },
      ...extra,
    },
  });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.id as string;
}

/** "Continue with SSO" for a SAML connection: the AuthnRequest we sent and the binding cookie. */
export async function samlStart(query: string, cookie?: string): Promise<{ request: ParsedRequest; binding: string }> {
  const start = await callRaw(START, { path: `/api/sso/start?${query}`, cookie });
  expect(start.status).toBe(303);
  return { request: parseAuthnRequest(start.headers.get("location")!), binding: bindingOf(start) };
}

/** The IdP's page posting to our ACS (no cookies: a cross-site POST does not carry Lax ones). */
export async function postAcs(
  connectionId: string,
  samlResponse: string,
  relayState: string | null,
): Promise<Response> {
  const form = new URLSearchParams({ SAMLResponse: samlResponse });
  if (relayState !== null) form.set("RelayState", relayState);
  return callRaw(ACS, {
    method: "POST",
    path: `/api/sso/${connectionId}/acs`,
    rawBody: form.toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://127.0.0.1:1" },
    params: { connectionId },
  });
}

/** The browser following the ACS's redirect, with its cookies. */
export async function followComplete(connectionId: string, acs: Response, binding?: string): Promise<Response> {
  expect(acs.status).toBe(303);
  const location = new URL(acs.headers.get("location")!);
  expect(location.pathname).toBe(`/api/sso/${connectionId}/complete`);
  return callRaw(COMPLETE, {
    path: `${location.pathname}${location.search}`,
    cookie: binding,
    params: { connectionId },
  });
}
