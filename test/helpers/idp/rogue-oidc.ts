import { createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A hostile (or broken) OpenID Provider: correct discovery and JWKS, but the
 * token endpoint hands out whatever ID token the test asks for — alg none, HS256
 * keyed with the public key, a key not in the JWKS, a wrong issuer or audience,
 * an expired token, a wrong nonce. The relying party must refuse each.
 */
export type Forgery =
  | "valid"
  | "alg_none"
  | "hs256_public_key"
  | "unknown_key"
  | "wrong_issuer"
  | "wrong_audience"
  | "expired"
  | "wrong_nonce"
  | "no_nonce";

export type RogueIdp = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  forge(mode: Forgery): void;
  claims(c: Record<string, unknown>): void;
  close(): Promise<void>;
};

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

export async function startRogueIdp(): Promise<RogueIdp> {
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = randomUUID();
  const clientId = "rogue-client";
  const clientSecret = randomUUID();
  let mode: Forgery = "valid";
  let extra: Record<string, unknown> = {};
  const codes = new Map<string, { nonce: string }>();

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url!, issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/.well-known/openid-configuration") {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
      });
    }
    if (url.pathname === "/jwks") {
      return json(200, { keys: [{ ...key.publicKey.export({ format: "jwk" }), kid, use: "sig", alg: "RS256" }] });
    }
    if (url.pathname === "/authorize") {
      const code = randomUUID();
      codes.set(code, { nonce: url.searchParams.get("nonce") ?? "" });
      const back = new URL(url.searchParams.get("redirect_uri")!);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (url.pathname === "/token") {
      let body = "";
      for await (const chunk of req) body += chunk;
      const code = new URLSearchParams(body).get("code") ?? "";
      const entry = codes.get(code);
      codes.delete(code);
      if (!entry) return json(400, { error: "invalid_grant" });
      return json(200, {
        access_token: randomUUID(),
        token_type: "Bearer",
        expires_in: 300,
        id_token: idToken(entry.nonce),
      });
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function idToken(nonce: string): string {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: mode === "wrong_issuer" ? "https://evil.example" : issuer,
      aud: mode === "wrong_audience" ? "someone-else" : clientId,
      sub: "rogue-subject",
      iat: mode === "expired" ? now - 7200 : now,
      exp: mode === "expired" ? now - 3600 : now + 300,
      nonce: mode === "wrong_nonce" ? "not-the-nonce" : nonce,
      email: "user@rogue.test",
      email_verified: true,
      ...extra,
    };
    if (mode === "no_nonce") delete payload.nonce;
    if (mode === "alg_none") return `${b64({ alg: "none", typ: "JWT" })}.${b64(payload)}.`;
    if (mode === "hs256_public_key") {
      const header = b64({ alg: "HS256", typ: "JWT", kid });
      const pem = key.publicKey.export({ format: "pem", type: "spki" });
      const mac = createHmac("sha256", pem)
        .update(`${header}.${b64(payload)}`)
        .digest("base64url");
      return `${header}.${b64(payload)}.${mac}`;
    }
    const signer: KeyObject = mode === "unknown_key" ? other.privateKey : key.privateKey;
    const header = b64({ alg: "RS256", typ: "JWT", kid: mode === "unknown_key" ? randomUUID() : kid });
    const sig = sign("sha256", Buffer.from(`${header}.${b64(payload)}`), signer).toString("base64url");
    return `${header}.${b64(payload)}.${sig}`;
  }

  return {
    issuer,
    clientId,
    clientSecret,
    forge(m) {
      mode = m;
    },
    claims(c) {
      extra = c;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
