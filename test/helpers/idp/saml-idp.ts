import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inflateRawSync } from "node:zlib";
import { generate } from "selfsigned";
import { SignedXml } from "xml-crypto";

/**
 * A SAML 2.0 identity provider the tests run: it reads our AuthnRequest
 * (HTTP-Redirect binding), and answers with a Response whose assertion it
 * signs with xml-crypto and a freshly generated self-signed certificate. Every
 * knob an attacker (or a broken IdP) could turn is an option of `respond`.
 * `start()` also serves it over HTTP with the auto-posting form a browser gets.
 */
export type SamlUser = { nameId: string; email?: string; groups?: string[]; name?: string };

export type RespondOptions = {
  user?: SamlUser;
  /** Who the assertion is for (default: the request's issuer, i.e. our entity id). */
  audience?: string;
  recipient?: string;
  destination?: string;
  issuer?: string;
  inResponseTo?: string | null;
  notBefore?: Date;
  notOnOrAfter?: Date;
  /** "assertion" (default), "response" (only the envelope: the assertion is unsigned), "both", "none". */
  sign?: "assertion" | "response" | "both" | "none";
  /** Sign with a key whose certificate the SP does not trust. */
  foreignKey?: boolean;
  /** Change the NameID after signing. */
  tamper?: boolean;
  /** XML signature wrapping: an unsigned evil assertion in front, the signed original hidden inside it. */
  wrap?: boolean;
  assertionId?: string;
  authnContext?: string;
};

type Keys = { key: string; cert: string };

async function keys(): Promise<Keys> {
  const pems = await generate([{ name: "commonName", value: "warden-test-idp" }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 2 * 86_400_000),
  });
  return { key: pems.private, cert: pems.cert };
}

export type ParsedRequest = { id: string; acsUrl: string; issuer: string; relayState: string | null };

/** Reads the AuthnRequest out of our redirect to the IdP. */
export function parseAuthnRequest(url: string): ParsedRequest {
  const u = new URL(url);
  const xml = inflateRawSync(Buffer.from(u.searchParams.get("SAMLRequest")!, "base64")).toString("utf8");
  return {
    id: /\bID="([^"]+)"/.exec(xml)![1]!,
    acsUrl: /\bAssertionConsumerServiceURL="([^"]+)"/.exec(xml)![1]!,
    issuer: /<(?:\w+:)?Issuer[^>]*>([^<]+)</.exec(xml)![1]!,
    relayState: u.searchParams.get("RelayState"),
  };
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");

export type SamlIdp = {
  issuer: string;
  cert: string;
  /** The URL our connection sends browsers to (set by start()). */
  entryPoint: string;
  setUser(u: SamlUser): void;
  /** A SAMLResponse (base64) answering `req`, with the given twists. */
  respond(req: ParsedRequest | { acsUrl: string; issuer: string; id: null }, opts?: RespondOptions): string;
  close(): Promise<void>;
};

export async function startSamlIdp(): Promise<SamlIdp> {
  const [trusted, foreign] = await Promise.all([keys(), keys()]);
  let user: SamlUser = { nameId: "nobody@example.test" };

  function sign(xml: string, what: "Assertion" | "Response", k: Keys, reference?: string): string {
    const sig = new SignedXml({
      privateKey: k.key,
      publicCert: k.cert,
      signatureAlgorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
      canonicalizationAlgorithm: "http://www.w3.org/2001/10/xml-exc-c14n#",
    });
    sig.addReference({
      xpath: reference ?? `//*[local-name(.)='${what}']`,
      transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2001/10/xml-exc-c14n#"],
      digestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
    });
    sig.computeSignature(xml, {
      location: {
        reference: `${reference ?? `//*[local-name(.)='${what}']`}/*[local-name(.)='Issuer']`,
        action: "after",
      },
    });
    return sig.getSignedXml();
  }

  function assertionXml(req: { acsUrl: string; issuer: string; id: string | null }, o: RespondOptions, id: string) {
    const now = new Date();
    const u = o.user ?? user;
    const notBefore = (o.notBefore ?? new Date(now.getTime() - 60_000)).toISOString();
    const notOnOrAfter = (o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000)).toISOString();
    const irt = o.inResponseTo === undefined ? req.id : o.inResponseTo;
    const irtAttr = irt ? ` InResponseTo="${esc(irt)}"` : "";
    const attrs = [
      u.email
        ? `<saml:Attribute Name="email"><saml:AttributeValue>${esc(u.email)}</saml:AttributeValue></saml:Attribute>`
        : "",
      u.name
        ? `<saml:Attribute Name="name"><saml:AttributeValue>${esc(u.name)}</saml:AttributeValue></saml:Attribute>`
        : "",
      u.groups
        ? `<saml:Attribute Name="groups">${u.groups.map((g) => `<saml:AttributeValue>${esc(g)}</saml:AttributeValue>`).join("")}</saml:Attribute>`
        : "",
    ].join("");
    return (
      `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${now.toISOString()}">` +
      `<saml:Issuer>${esc(o.issuer ?? issuer)}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${esc(u.nameId)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
      `<saml:SubjectConfirmationData${irtAttr} NotOnOrAfter="${notOnOrAfter}" Recipient="${esc(o.recipient ?? req.acsUrl)}"/>` +
      `</saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}">` +
      `<saml:AudienceRestriction><saml:Audience>${esc(o.audience ?? req.issuer)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="_s${randomBytes(6).toString("hex")}">` +
      `<saml:AuthnContext><saml:AuthnContextClassRef>${esc(o.authnContext ?? "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : "") +
      `</saml:Assertion>`
    );
  }

  function respond(req: { acsUrl: string; issuer: string; id: string | null }, o: RespondOptions = {}): string {
    const k = o.foreignKey ? foreign : trusted;
    const mode = o.sign ?? "assertion";
    const assertionId = o.assertionId ?? `_a${randomUUID().replace(/-/g, "")}`;
    let assertion = assertionXml(req, o, assertionId);
    if (mode === "assertion" || mode === "both") assertion = sign(assertion, "Assertion", k);
    const irt = o.inResponseTo === undefined ? req.id : o.inResponseTo;
    const open =
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
      ` ID="_r${randomUUID().replace(/-/g, "")}" Version="2.0" IssueInstant="${new Date().toISOString()}"` +
      ` Destination="${esc(o.destination ?? req.acsUrl)}"${irt ? ` InResponseTo="${esc(irt)}"` : ""}>` +
      `<saml:Issuer>${esc(o.issuer ?? issuer)}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`;
    let xml: string;
    if (o.wrap) {
      // The signed original stays intact (its signature verifies) but is tucked
      // inside an unsigned evil assertion that names someone else.
      const evil = assertionXml(
        req,
        { ...o, user: { ...(o.user ?? user), nameId: "attacker@evil.example", email: "attacker@evil.example" } },
        `_evil${randomUUID().replace(/-/g, "")}`,
      );
      xml = `${open}${evil.replace("</saml:Subject>", `</saml:Subject><saml:Advice>${assertion}</saml:Advice>`)}</samlp:Response>`;
    } else {
      xml = `${open}${assertion}</samlp:Response>`;
    }
    if (mode === "response" || mode === "both") xml = sign(xml, "Response", k, "/*[local-name(.)='Response']");
    if (o.tamper)
      xml = xml
        .replace(/(<saml:NameID[^>]*>)[^<]+/, "$1attacker@evil.example")
        .replace(/(<saml:Attribute Name="email"><saml:AttributeValue>)[^<]+/, "$1attacker@evil.example");
    return Buffer.from(xml, "utf8").toString("base64");
  }

  // The browser-facing side: GET /sso?SAMLRequest=…&RelayState=… → auto-posting form.
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, base);
    if (url.pathname !== "/sso") {
      res.writeHead(404);
      return res.end();
    }
    const parsed = parseAuthnRequest(url.href);
    const body = respond(parsed);
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      `<!doctype html><html><body><form id="f" method="post" action="${esc(parsed.acsUrl)}">` +
        `<input type="hidden" name="SAMLResponse" value="${body}"/>` +
        (parsed.relayState ? `<input type="hidden" name="RelayState" value="${esc(parsed.relayState)}"/>` : "") +
        `<button type="submit">Continue</button></form><script>document.getElementById("f").submit()</script></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/metadata`;

  return {
    issuer,
    cert: trusted.cert,
    entryPoint: `${base}/sso`,
    setUser(u) {
      user = u;
    },
    respond,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
