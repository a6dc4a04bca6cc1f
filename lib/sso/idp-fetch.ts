import type { CustomFetch } from "openid-client";
import { env } from "../env";
import { AppError } from "../errors";
import { log } from "../log";
import { parseCidrList } from "../connectors/address-policy";
import { originAllowEntry } from "../connectors/domain-allowlist";
import {
  HTTP_METHODS,
  SafeHttpError,
  preflightUrl,
  safeRequest,
  systemResolver,
  type HttpMethod,
  type Resolver,
} from "../connectors/safe-http";
import { SsoError } from "./profile";

/**
 * Every request Warden itself sends to an OIDC identity provider (discovery,
 * JWKS, token, userinfo) goes through the SSRF-safe client: the issuer is an
 * admin's input, and an issuer at 127.0.0.1, 10.x or 169.254.169.254 (cloud
 * metadata) would otherwise make the server fetch its own network. Public
 * addresses only, checked on every address the name resolves to and pinned
 * for the connection; no redirects (openid-client asks for `redirect:
 * "manual"` and treats a redirect as a failure); 1 MiB and 10 s per response.
 *
 * The only way to reach a private address is WARDEN_SSO_PRIVATE_IDP_CIDRS
 * (e.g. `127.0.0.1/32` for the tests' local IdPs, or the CIDR of an IdP on an
 * internal network). Unset, nothing private is allowed; a malformed value
 * allows nothing either (fail closed) and is logged.
 */

const MAX_RESPONSE_BYTES = 1024 * 1024;
const TIMEOUT_MS = 10_000;

let resolverOverride: Resolver | null = null;

/** Replaces name resolution for this process (tests: a name that resolves to a private address). */
export function setIdpResolver(resolver: Resolver | null): void {
  resolverOverride = resolver;
}

/** The private CIDRs identity providers may live in (WARDEN_SSO_PRIVATE_IDP_CIDRS); [] when unset or invalid. */
export function idpPrivateCidrs(): string[] {
  const entries = (env().WARDEN_SSO_PRIVATE_IDP_CIDRS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    parseCidrList(entries);
    return entries;
  } catch {
    log().error(
      { entries },
      "WARDEN_SSO_PRIVATE_IDP_CIDRS is invalid; no private identity-provider address is allowed",
    );
    return [];
  }
}

function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  throw new SafeHttpError("invalid_request", "Unsupported request body for an identity-provider request");
}

// Statuses a Response may not carry a body with.
const NULL_BODY = new Set([101, 204, 205, 304]);

/** A fetch for openid-client that admits only the addresses above. */
export function idpFetchWith(opts: { allowPrivateCidrs: readonly string[]; resolve?: Resolver }): CustomFetch {
  return async (url, options) => {
    const method = options.method.toUpperCase();
    if (!(HTTP_METHODS as readonly string[]).includes(method)) {
      throw new SafeHttpError("invalid_request", `Unsupported method ${method}`);
    }
    const request = safeRequest({
      url,
      method: method as HttpMethod,
      headers: options.headers,
      body: bodyText(options.body),
      timeoutMs: TIMEOUT_MS,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      maxRedirects: 0,
      // The allowlist is the request's own host: the address policy is the guard here.
      allowDomains: [originAllowEntry(new URL(url))],
      allowPrivateCidrs: opts.allowPrivateCidrs,
      resolve: opts.resolve ?? resolverOverride ?? systemResolver,
    });
    const signal = options.signal;
    const res = await (signal
      ? Promise.race([
          request,
          new Promise<never>((_, reject) => {
            if (signal.aborted) reject(signal.reason);
            signal.addEventListener("abort", () => reject(signal.reason), { once: true });
          }),
        ])
      : request);
    if (res.status < 200 || res.status > 599) {
      throw new SafeHttpError("connect_failed", `The identity provider answered with status ${res.status}`);
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (k !== "content-length" && k !== "transfer-encoding" && k !== "content-encoding") headers.set(k, v);
    }
    return new Response(NULL_BODY.has(res.status) ? null : res.body, { status: res.status, headers });
  };
}

/** The fetch the OIDC code uses: the allowance from the environment. */
export function idpFetch(): CustomFetch {
  return idpFetchWith({ allowPrivateCidrs: idpPrivateCidrs() });
}

/**
 * Refuses, before anything is sent, an issuer whose host is an IP literal in
 * a range not allowed (a name is checked when it is resolved, at each fetch).
 */
export function assertIssuerAddressAllowed(issuer: string): void {
  let entry: string;
  try {
    entry = originAllowEntry(new URL(issuer));
  } catch {
    return; // The schema reports a malformed URL.
  }
  const verdict = preflightUrl(issuer, [entry], idpPrivateCidrs());
  if (!verdict.ok && verdict.reason === "address_not_allowed") {
    throw new AppError("validation_failed", "The identity provider's address is in a private or internal network", {
      errors: [{ path: "oidc.issuer", message: "a private or internal address is not allowed" }],
    });
  }
}

/** An SSRF refusal somewhere in an identity-provider request's error chain, as the SSO step's refusal. */
export function idpFetchRefusal(e: unknown): SsoError | null {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && cur instanceof Error; depth++) {
    if (cur instanceof SafeHttpError) {
      return cur.reason === "address_not_allowed"
        ? new SsoError("idp_address_refused", "The identity provider's address is in a private or internal network", e)
        : null;
    }
    cur = cur.cause;
  }
  return null;
}
