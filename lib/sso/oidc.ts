import * as client from "openid-client";
import { env } from "../env";
import { AppError } from "../errors";
import { log } from "../log";
import { clientSecretOf, type SsoConnection } from "./connections";
import { SsoError, type SsoProfile } from "./profile";
import { idpFetch, idpFetchRefusal } from "./idp-fetch";

/**
 * OIDC relying party on openid-client 6: discovery, authorization code with
 * PKCE (S256), state and nonce, ID token signature/issuer/audience/expiry
 * checked by the library (alg "none" and HS256 are refused: the expected
 * algorithm is the asymmetric one the IdP publishes), and the signature
 * verified against the IdP's JWKS (non-repudiation checks on).
 */

type Cached = { config: client.Configuration; at: number };
const cache = new Map<string, Cached>();
const TTL_MS = 10 * 60_000;

export async function oidcConfiguration(c: SsoConnection): Promise<client.Configuration> {
  if (!c.oidc) throw new AppError("internal", "Not an OIDC connection");
  // Keyed by the settings' version: a changed connection never uses a stale discovery.
  const key = `${c.id}:${c.configVersion}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.config;
  try {
    const config = await client.discovery(
      new URL(c.oidc.issuer),
      c.oidc.client_id,
      undefined,
      client.ClientSecretBasic(clientSecretOf(c)),
      {
        // The ID token's signature is checked against the IdP's JWKS even though it
        // came straight from the token endpoint: the record of who signed in then
        // rests on the IdP's key, not only on the TLS connection it came over.
        execute: [
          client.enableNonRepudiationChecks,
          ...(env().WARDEN_SSO_ALLOW_HTTP ? [client.allowInsecureRequests] : []),
        ],
        timeout: 10,
        // Discovery, and through the configuration every later request (JWKS,
        // token, userinfo), go through the SSRF-safe client (idp-fetch.ts).
        [client.customFetch]: idpFetch(),
      },
    );
    cache.set(key, { config, at: Date.now() });
    return config;
  } catch (e) {
    log().warn({ err: e, connectionId: c.id }, "OIDC discovery failed");
    const refused = idpFetchRefusal(e);
    if (refused) throw refused;
    throw new SsoError("idp_unreachable", "The identity provider's discovery document could not be read", e);
  }
}

export async function oidcAuthorizationUrl(
  c: SsoConnection,
  args: { redirectUri: string; state: string; nonce: string; codeVerifier: string; loginHint?: string },
): Promise<string> {
  const config = await oidcConfiguration(c);
  const params: Record<string, string> = {
    redirect_uri: args.redirectUri,
    scope: "openid email profile",
    response_type: "code",
    state: args.state,
    nonce: args.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(args.codeVerifier),
    code_challenge_method: "S256",
  };
  if (args.loginHint) params.login_hint = args.loginHint;
  return client.buildAuthorizationUrl(config, params).href;
}

export async function oidcFinish(
  c: SsoConnection,
  args: { callbackUrl: URL; state: string; nonce: string; codeVerifier: string },
): Promise<SsoProfile> {
  const config = await oidcConfiguration(c);
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(config, args.callbackUrl, {
      pkceCodeVerifier: args.codeVerifier,
      expectedState: args.state,
      expectedNonce: args.nonce,
      idTokenExpected: true,
    });
  } catch (e) {
    log().warn({ err: e, connectionId: c.id }, "OIDC callback refused");
    const refused = idpFetchRefusal(e);
    if (refused) throw refused;
    const why = e instanceof Error ? e.message.slice(0, 200) : "invalid";
    throw new SsoError("invalid_response", `The identity provider's answer was refused: ${why}`, e);
  }
  const claims = tokens.claims();
  if (!claims) throw new SsoError("invalid_response", "The identity provider sent no ID token");
  let merged: Record<string, unknown> = { ...claims };
  const userinfoEndpoint = config.serverMetadata().userinfo_endpoint;
  if (userinfoEndpoint && tokens.access_token) {
    try {
      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      // The ID token's own claims win; userinfo only adds what it lacks (often groups).
      merged = { ...info, ...claims };
    } catch (e) {
      log().warn({ err: e, connectionId: c.id }, "OIDC userinfo failed; using the ID token's claims");
    }
  }
  const groupsValue = merged[c.oidc!.groups_claim];
  return {
    subject: claims.sub,
    email: typeof merged.email === "string" ? merged.email.trim().toLowerCase() : null,
    emailVerified: typeof merged.email_verified === "boolean" ? merged.email_verified : null,
    name: typeof merged.name === "string" ? merged.name.slice(0, 200) : null,
    groups: Array.isArray(groupsValue)
      ? groupsValue.filter((g): g is string => typeof g === "string").slice(0, 500)
      : [],
    amr: Array.isArray(claims.amr) ? claims.amr.filter((a): a is string => typeof a === "string") : [],
    acr: typeof claims.acr === "string" ? claims.acr : null,
    authTime: typeof claims.auth_time === "number" ? new Date(claims.auth_time * 1000) : null,
    sessionIndex: null,
    attributes: sanitizeClaims(merged),
  };
}

/** What the test sign-in shows: claims as sent, long values cut. */
function sanitizeClaims(claims: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims).slice(0, 100)) {
    const s = JSON.stringify(v);
    out[k.slice(0, 100)] = s && s.length > 2000 ? `${s.slice(0, 2000)}…` : v;
  }
  return out;
}
