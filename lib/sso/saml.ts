import { randomBytes } from "node:crypto";
import { SAML, ValidateInResponseTo, type Profile } from "@node-saml/node-saml";
import { log } from "../log";
import type { SsoConnection } from "./connections";
import { SsoError, type SsoProfile } from "./profile";

/**
 * SAML 2.0 service provider on @node-saml/node-saml 5. The library checks the
 * XML signature (signed assertions required; a response with more than one
 * assertion is refused, which defeats signature wrapping), audience and time
 * conditions. What it leaves to us is checked here, on the signed assertion
 * only: the issuer, the SubjectConfirmation's Recipient and InResponseTo, the
 * Response's Destination and InResponseTo, and the assertion id for replay.
 */

export function spEntityId(origin: string, connectionId: string): string {
  return `${origin}/api/sso/${connectionId}/metadata`;
}
export function acsUrlOf(origin: string, connectionId: string): string {
  return `${origin}/api/sso/${connectionId}/acs`;
}

function samlFor(c: SsoConnection, origin: string, requestId?: string): SAML {
  if (!c.saml) throw new SsoError("no_connection", "Not a SAML connection");
  return new SAML({
    callbackUrl: acsUrlOf(origin, c.id),
    entryPoint: c.saml.entry_point,
    issuer: spEntityId(origin, c.id),
    audience: spEntityId(origin, c.id),
    idpCert: c.saml.idp_certificate,
    idpIssuer: c.saml.idp_issuer,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    // InResponseTo is checked against the stored request (below), not an in-process cache:
    // any instance may receive the IdP's POST.
    validateInResponseTo: ValidateInResponseTo.never,
    acceptedClockSkewMs: 60_000,
    maxAssertionAgeMs: 10 * 60_000,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    generateUniqueId: () => requestId ?? `_${randomBytes(20).toString("hex")}`,
  });
}

export async function samlAuthorizeUrl(
  c: SsoConnection,
  args: { origin: string; relayState: string },
): Promise<{ url: string; requestId: string }> {
  const requestId = `_${randomBytes(20).toString("hex")}`;
  const url = await samlFor(c, args.origin, requestId).getAuthorizeUrlAsync(args.relayState, undefined, {});
  return { url, requestId };
}

export function samlMetadata(c: SsoConnection, origin: string): string {
  return samlFor(c, origin).generateServiceProviderMetadata(null, null);
}

export type SamlResult = { profile: SsoProfile; assertionId: string; notOnOrAfter: Date };

type X2J = Record<string, unknown>;
const first = (v: unknown): X2J | undefined => (Array.isArray(v) ? (v[0] as X2J) : undefined);
const attr = (node: X2J | undefined, name: string): string | undefined =>
  (node?.$ as Record<string, string> | undefined)?.[name];
const text = (node: unknown): string | undefined =>
  typeof node === "string" ? node : ((node as X2J | undefined)?._ as string | undefined);

/**
 * Validates the IdP's POST. `expectedRequestId` is the AuthnRequest we sent
 * (SP-initiated) or null (IdP-initiated: there must be no InResponseTo).
 */
export async function samlValidate(
  c: SsoConnection,
  origin: string,
  samlResponse: string,
  expectedRequestId: string | null,
): Promise<SamlResult> {
  const acs = acsUrlOf(origin, c.id);
  let profile: Profile | null;
  try {
    ({ profile } = await samlFor(c, origin).validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (e) {
    log().warn({ err: e, connectionId: c.id }, "SAML response refused");
    // The library's reason goes into the audit record (admins see it); the browser gets only the code.
    const why = e instanceof Error ? e.message.slice(0, 200) : "invalid";
    throw new SsoError("invalid_response", `The identity provider's SAML response was refused: ${why}`, e);
  }
  if (!profile) throw new SsoError("invalid_response", "The SAML response carried no assertion");

  // Everything below reads the signed assertion (getAssertion), never the unsigned envelope,
  // except the envelope's own Destination/InResponseTo, which must agree when present.
  const assertion = (profile.getAssertion?.() as X2J | undefined)?.Assertion as X2J | undefined;
  if (!assertion) throw new SsoError("invalid_response", "The SAML response carried no signed assertion");
  const refuse = (why: string) => {
    log().warn({ connectionId: c.id, why }, "SAML assertion refused");
    return new SsoError("invalid_response", `The SAML assertion was refused: ${why}`);
  };

  const issuer = text(first(assertion.Issuer));
  if (issuer !== c.saml!.idp_issuer) throw refuse("wrong issuer");

  const assertionId = attr(assertion, "ID");
  if (!assertionId) throw refuse("no assertion ID");

  const subject = first(assertion.Subject);
  const confirmations = (subject?.SubjectConfirmation as X2J[] | undefined) ?? [];
  const bearer = confirmations.find((sc) => attr(sc, "Method") === "urn:oasis:names:tc:SAML:2.0:cm:bearer");
  const data = first(bearer?.SubjectConfirmationData);
  if (!data) throw refuse("no bearer subject confirmation");
  if (attr(data, "Recipient") !== acs) throw refuse("wrong recipient");
  const subjectInResponseTo = attr(data, "InResponseTo") ?? null;
  if (subjectInResponseTo !== expectedRequestId) throw refuse("InResponseTo does not match the request");

  const envelope = Buffer.from(samlResponse, "base64").toString("utf8");
  const destination = /<(?:\w+:)?Response\b[^>]*\bDestination="([^"]*)"/.exec(envelope)?.[1];
  if (destination !== undefined && destination !== acs) throw refuse("wrong destination");
  const envelopeInResponseTo = /<(?:\w+:)?Response\b[^>]*\bInResponseTo="([^"]*)"/.exec(envelope)?.[1] ?? null;
  if (envelopeInResponseTo !== null && envelopeInResponseTo !== expectedRequestId) {
    throw refuse("InResponseTo does not match the request");
  }

  const notOnOrAfterRaw = attr(data, "NotOnOrAfter") ?? attr(first(assertion.Conditions), "NotOnOrAfter");
  const notOnOrAfter = notOnOrAfterRaw ? new Date(notOnOrAfterRaw) : new Date(Date.now() + 10 * 60_000);

  const authn = first(assertion.AuthnStatement);
  const acr = text((first(authn?.AuthnContext)?.AuthnContextClassRef as unknown[] | undefined)?.[0]) ?? null;
  const authInstant = attr(authn, "AuthnInstant");

  const attributes: Record<string, unknown> = {};
  for (const statement of (assertion.AttributeStatement as X2J[] | undefined) ?? []) {
    for (const a of (statement.Attribute as X2J[] | undefined) ?? []) {
      const name = attr(a, "Name");
      if (!name) continue;
      attributes[name.slice(0, 200)] = ((a.AttributeValue as unknown[] | undefined) ?? [])
        .map(text)
        .filter((v): v is string => typeof v === "string")
        .slice(0, 500);
    }
  }
  const one = (name: string) => {
    const v = attributes[name];
    return Array.isArray(v) && typeof v[0] === "string" ? v[0] : undefined;
  };
  const nameId = profile.nameID;
  const emailFromName = /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(nameId ?? "") ? nameId : undefined;
  const email = (one(c.saml!.email_attribute) ?? emailFromName ?? null)?.trim().toLowerCase() ?? null;
  const groupsValue = attributes[c.saml!.groups_attribute];

  return {
    assertionId,
    notOnOrAfter,
    profile: {
      subject: nameId,
      email,
      emailVerified: null,
      name: one("name") ?? one("displayName") ?? null,
      groups: Array.isArray(groupsValue) ? (groupsValue as string[]) : [],
      amr: [],
      acr,
      authTime: authInstant ? new Date(authInstant) : null,
      sessionIndex: typeof profile.sessionIndex === "string" ? profile.sessionIndex : null,
      attributes: { issuer, name_id: nameId, name_id_format: profile.nameIDFormat, authn_context: acr, ...attributes },
    },
  };
}
