import { promises as dnsPromises, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction, type Socket } from "node:net";
import type { Readable } from "node:stream";
import zlib from "node:zlib";
import ipaddr from "ipaddr.js";
import { AppError, type ErrorCode } from "../errors";
import { sensitiveKeyMatcher } from "../security/redact";
import { checkAddress, parseCidrList, type Cidr } from "./address-policy";
import { effectivePort, hostAllowed, parseDomainAllowlist, type DomainRule } from "./domain-allowlist";

/**
 * The SSRF-safe outbound HTTP client behind the http_proxy connector.
 *
 * Every hop (the first request and each redirect, followed by hand) is
 * admitted in order: scheme (http/https), host and port in the organization's
 * domain allowlist (80 and 443 unless an entry names other ports), then every address the host resolves to must pass
 * address-policy.ts. The connection is then pinned to those checked
 * addresses: the request carries a `lookup` that answers only with them, so
 * Node never resolves the name a second time and a DNS answer that changes
 * between check and connect (rebinding) is never dialled. IP-literal hosts are
 * checked directly (Node does not call `lookup` for them). As a last guard the
 * socket's peer address is compared with the checked set on connect.
 *
 * We do not use request-filtering-agent: it checks addresses inside
 * createConnection and reports refusals as untyped socket errors, it lets
 * IPv4-mapped, 6to4, NAT64 and Teredo addresses through only as "not unicast"
 * without judging the embedded IPv4 (so an allowed 127.0.0.1/32 would not
 * cover ::ffff:127.0.0.1, and it treats a whole non-unicast range the same
 * way), it accepts IPv6 outside 2000::/3 that ipaddr.js calls "unicast"
 * (e.g. IPv4-compatible ::7f00:1), and it warns on the console rather than
 * failing on a bad CIDR. A small checked resolver gives typed reasons and a
 * stricter policy in less code than wrapping it.
 */

export const SAFE_HTTP_REFUSALS = [
  "invalid_request",
  "scheme_not_allowed",
  "domain_not_allowed",
  "address_not_allowed",
  "too_many_redirects",
  "response_too_large",
  "timeout",
  "connect_failed",
] as const;
export type SafeHttpRefusal = (typeof SAFE_HTTP_REFUSALS)[number];

const REFUSAL_CODE: Record<SafeHttpRefusal, ErrorCode> = {
  invalid_request: "bad_request",
  scheme_not_allowed: "forbidden",
  domain_not_allowed: "forbidden",
  address_not_allowed: "forbidden",
  too_many_redirects: "unavailable",
  response_too_large: "payload_too_large",
  timeout: "unavailable",
  connect_failed: "unavailable",
};

/**
 * Every way safeRequest refuses or fails a request. `reason` is the machine-
 * readable outcome; `message` is safe for the agent; `detail` (hosts,
 * resolved addresses, ranges) and `cause` are for the log only.
 */
export class SafeHttpError extends AppError {
  readonly reason: SafeHttpRefusal;
  readonly detail: Record<string, unknown>;
  constructor(
    reason: SafeHttpRefusal,
    message: string,
    opts: { detail?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(REFUSAL_CODE[reason], message, { cause: opts.cause });
    this.name = "SafeHttpError";
    this.reason = reason;
    this.detail = opts.detail ?? {};
  }
}

export function isSafeHttpError(e: unknown): e is SafeHttpError {
  return e instanceof SafeHttpError;
}

export type ResolvedAddress = { address: string; family: 4 | 6 };
/** Name resolution, injectable for tests. Must return every address the name has. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const all = await dnsPromises.lookup(hostname, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const SAFE_HTTP_DEFAULTS = {
  timeoutMs: 10_000,
  maxResponseBytes: 1024 * 1024,
  maxRedirects: 5,
} as const;

export const SAFE_HTTP_LIMITS = {
  timeoutMs: 120_000,
  maxResponseBytes: 64 * 1024 * 1024,
  maxRedirects: 20,
} as const;

export type SafeRequestOptions = {
  url: string;
  method?: HttpMethod;
  headers?: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
  /** Whole-request deadline: resolution, connect, every hop and the body. */
  timeoutMs?: number;
  /** Cap on the body, both as received and after any decompression. */
  maxResponseBytes?: number;
  maxRedirects?: number;
  /** The organization's domain allowlist (see domain-allowlist.ts). Empty allows nothing. */
  allowDomains: readonly string[];
  /** Private CIDRs an admin has explicitly allowed (see address-policy.ts). */
  allowPrivateCidrs?: readonly string[];
  resolve?: Resolver;
};

export type SafeResponse = {
  status: number;
  headers: Record<string, string>;
  /** Decoded as the response's charset (UTF-8 when absent or unknown). */
  body: string;
  /** The URL that produced this response, after redirects. */
  url: string;
  /** Each redirect target followed, in order. */
  redirects: string[];
};

// Hop-by-hop headers (RFC 9110 §7.6.1) and those the client must own: Host
// (routing), Content-Length (framing), Accept-Encoding (we ask for identity),
// Expect (we never wait for 100-continue).
const DROPPED_HEADERS = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "http2-settings",
  "content-length",
  "expect",
  "accept-encoding",
]);

const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Field values: visible ASCII, obs-text, space and tab; never CR, LF or NUL.
const VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MAX_HEADERS = 100;

type HeaderMap = Map<string, string>;

function sanitiseHeaders(input: Readonly<Record<string, string>>): HeaderMap {
  const entries = Object.entries(input);
  if (entries.length > MAX_HEADERS)
    throw new SafeHttpError("invalid_request", `At most ${MAX_HEADERS} request headers are allowed`);
  const out: HeaderMap = new Map();
  const named = new Set<string>();
  for (const [name, value] of entries) {
    if (!TOKEN_RE.test(name))
      throw new SafeHttpError("invalid_request", "A request header name is invalid", { detail: { name } });
    if (typeof value !== "string" || !VALUE_RE.test(value)) {
      throw new SafeHttpError("invalid_request", "A request header value is invalid", { detail: { name } });
    }
    const lower = name.toLowerCase();
    if (lower === "connection") {
      for (const n of value.split(",")) named.add(n.trim().toLowerCase());
    }
    if (DROPPED_HEADERS.has(lower)) continue;
    out.set(lower, value);
  }
  for (const n of named) out.delete(n);
  return out;
}

function parseUrl(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = base ? new URL(raw, base) : new URL(raw);
  } catch (e) {
    throw new SafeHttpError(
      "invalid_request",
      base ? "The destination sent an invalid redirect" : "The URL is invalid",
      {
        cause: e,
      },
    );
  }
  return url;
}

type Admitted = { url: URL; hostname: string; addresses: ResolvedAddress[] };

function ipFamily(host: string): 0 | 4 | 6 {
  return isIP(host) as 0 | 4 | 6;
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** The checks that need no network: scheme, credentials, domain allowlist. */
function admitUrl(url: URL, rules: readonly DomainRule[]): string {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SafeHttpError("scheme_not_allowed", "Only http and https URLs are allowed", {
      detail: { scheme: url.protocol },
    });
  }
  if (url.username !== "" || url.password !== "") {
    throw new SafeHttpError("invalid_request", "URLs must not carry credentials; send them in a header");
  }
  if (!hostAllowed(url.hostname, effectivePort(url), rules)) {
    throw new SafeHttpError(
      "domain_not_allowed",
      "The host and port are not in the organization's domain allowlist (without a port, an entry allows 80 and 443)",
      { detail: { host: url.hostname, port: effectivePort(url) } },
    );
  }
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

function refuseAddresses(hostname: string, addresses: readonly ResolvedAddress[], cidrs: readonly Cidr[]): void {
  // Every answer must pass, not just one: otherwise a name answering with a
  // public and a private address could still be dialled at the private one.
  const refused = addresses.map((a) => checkAddress(a.address, cidrs)).filter((v) => !v.allowed);
  if (refused.length > 0) {
    throw new SafeHttpError("address_not_allowed", "The destination address is not allowed", {
      detail: { host: hostname, refused },
    });
  }
}

async function admit(
  url: URL,
  rules: readonly DomainRule[],
  cidrs: readonly Cidr[],
  resolve: Resolver,
  signal: AbortSignal,
): Promise<Admitted> {
  const hostname = admitUrl(url, rules);
  let addresses: ResolvedAddress[];
  const literal = ipFamily(hostname);
  if (literal !== 0) {
    addresses = [{ address: hostname, family: literal }];
  } else {
    let answer: ResolvedAddress[];
    try {
      answer = await raceAbort(resolve(hostname), signal);
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw new SafeHttpError("connect_failed", "The host name could not be resolved", {
        detail: { host: hostname },
        cause: e,
      });
    }
    const seen = new Set<string>();
    addresses = [];
    for (const a of answer) {
      // A resolver answer that is not an IP literal is refused below, not dialled.
      const family = ipFamily(a.address);
      if (!seen.has(a.address)) {
        seen.add(a.address);
        addresses.push({ address: a.address, family: family === 6 ? 6 : 4 });
      }
    }
    if (addresses.length === 0) {
      throw new SafeHttpError("connect_failed", "The host name has no addresses", { detail: { host: hostname } });
    }
  }
  refuseAddresses(hostname, addresses, cidrs);
  return { url, hostname, addresses };
}

function canonicalIp(address: string): string {
  try {
    return ipaddr.process(address).toString();
  } catch {
    return address;
  }
}

function pinnedLookup(expected: string, addresses: readonly ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    if (hostname !== expected) {
      callback(Object.assign(new Error(`lookup for unexpected host ${hostname}`), { code: "ENOTFOUND" }), "", 0);
      return;
    }
    const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : (options.family ?? 0);
    const list: LookupAddress[] = addresses.filter((a) => family === 0 || a.family === family);
    if (list.length === 0) {
      callback(Object.assign(new Error(`no checked address of family ${family}`), { code: "ENOTFOUND" }), "", 0);
      return;
    }
    if (options.all) callback(null, list);
    else callback(null, list[0]!.address, list[0]!.family);
  };
}

function flattenHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

function send(
  target: Admitted,
  method: string,
  headers: HeaderMap,
  body: Buffer | undefined,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  const checked = new Set(target.addresses.map((a) => canonicalIp(a.address)));
  const outHeaders: Record<string, string> = Object.fromEntries(headers);
  outHeaders["host"] = target.url.host;
  outHeaders["accept-encoding"] = "identity";
  if (!headers.has("user-agent")) outHeaders["user-agent"] = "warden-http-proxy";
  if (body !== undefined) outHeaders["content-length"] = String(body.length);
  const mod = target.url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    let req: http.ClientRequest;
    try {
      req = mod.request({
        protocol: target.url.protocol,
        hostname: target.hostname,
        port: target.url.port === "" ? undefined : Number(target.url.port),
        path: `${target.url.pathname}${target.url.search}`,
        method,
        headers: outHeaders,
        setHost: false,
        // A fresh agent per hop: no pooled socket from another pin is reused.
        agent: false,
        lookup: pinnedLookup(target.hostname, target.addresses),
        signal,
        ...(mod === https && ipFamily(target.hostname) === 0 ? { servername: target.hostname } : {}),
      });
    } catch (e) {
      reject(new SafeHttpError("invalid_request", "The request could not be built", { cause: e }));
      return;
    }
    req.once("socket", (socket: Socket) => {
      socket.once("connect", () => {
        const peer = socket.remoteAddress;
        if (peer === undefined || !checked.has(canonicalIp(peer))) {
          req.destroy(
            new SafeHttpError("address_not_allowed", "The destination address is not allowed", {
              detail: { host: target.hostname, peer },
            }),
          );
        }
      });
    });
    req.once("response", resolve);
    req.on("error", (e) => {
      if (signal.aborted) reject(signal.reason);
      else if (e instanceof SafeHttpError) reject(e);
      else
        reject(
          new SafeHttpError("connect_failed", "The destination could not be reached", {
            detail: { host: target.hostname },
            cause: e,
          }),
        );
    });
    req.end(body);
  });
}

function decoderFor(encoding: string): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null {
  // Z_SYNC_FLUSH tolerates a body cut short by the server, as browsers do.
  if (encoding === "gzip" || encoding === "x-gzip") {
    return zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  }
  if (encoding === "deflate") {
    return zlib.createInflate({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  }
  if (encoding === "br") return zlib.createBrotliDecompress();
  return null;
}

function charsetOf(contentType: string | undefined): string {
  const m = contentType ? /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType) : null;
  return m ? m[1]!.toLowerCase() : "utf-8";
}

function decodeText(buf: Buffer, contentType: string | undefined): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charsetOf(contentType));
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  return decoder.decode(buf);
}

/**
 * Reads the body with both caps enforced while streaming: received bytes and,
 * when the server compressed despite `Accept-Encoding: identity`, decoded
 * bytes, so a compression bomb stops at the cap instead of at memory.
 * Returns whether the body was decoded (its encoding headers no longer apply).
 */
function readBody(
  res: http.IncomingMessage,
  max: number,
  signal: AbortSignal,
  method: string,
): Promise<{ body: Buffer; decoded: boolean }> {
  return new Promise((resolve, reject) => {
    // HEAD, 204 and 304 answers may declare a length they never send.
    const status = res.statusCode ?? 0;
    const hasBody = method !== "HEAD" && status !== 204 && status !== 304;
    const declared = hasBody ? Number(res.headers["content-length"]) : Number.NaN;
    const tooLarge = () =>
      new SafeHttpError("response_too_large", `The response exceeds ${max} bytes`, { detail: { limit: max } });
    let settled = false;
    const encoding = (res.headers["content-encoding"] ?? "").trim().toLowerCase();
    const decoder = hasBody ? decoderFor(encoding) : null;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      res.destroy();
      decoder?.destroy();
      reject(e);
    };
    const onAbort = () => fail(signal.reason);
    if (signal.aborted) return fail(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    if (Number.isFinite(declared) && declared > max) return fail(tooLarge());

    let received = 0;
    res.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > max) fail(tooLarge());
    });
    res.on("error", (e) =>
      fail(
        signal.aborted
          ? signal.reason
          : new SafeHttpError("connect_failed", "The response was cut short", { cause: e }),
      ),
    );
    res.once("close", () => {
      if (!res.complete) fail(new SafeHttpError("connect_failed", "The response was cut short"));
    });

    const chunks: Buffer[] = [];
    let kept = 0;
    const out: Readable = decoder ?? res;
    if (decoder) {
      res.pipe(decoder);
      decoder.on("error", (e) =>
        fail(
          new SafeHttpError("connect_failed", "The response could not be decoded", { detail: { encoding }, cause: e }),
        ),
      );
      out.on("data", (chunk: Buffer) => {
        kept += chunk.length;
        if (kept > max) fail(tooLarge());
        else chunks.push(chunk);
      });
    } else {
      out.on("data", (chunk: Buffer) => {
        kept += chunk.length;
        if (kept <= max) chunks.push(chunk);
      });
    }
    out.once("end", () => {
      if (settled) return;
      if (!res.complete) return fail(new SafeHttpError("connect_failed", "The response was cut short"));
      settled = true;
      signal.removeEventListener("abort", onAbort);
      resolve({ body: Buffer.concat(chunks), decoded: decoder !== null });
    });
  });
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const BODY_HEADERS = ["content-type", "content-encoding", "content-language", "content-location"];

function checkLimit(name: keyof typeof SAFE_HTTP_LIMITS, value: number | undefined, min: number): number {
  const v = value ?? SAFE_HTTP_DEFAULTS[name];
  if (!Number.isInteger(v) || v < min || v > SAFE_HTTP_LIMITS[name]) {
    throw new AppError("validation_failed", `${name} must be an integer from ${min} to ${SAFE_HTTP_LIMITS[name]}`, {
      errors: [{ path: name, message: "out of range" }],
    });
  }
  return v;
}

const isSensitiveHeader = sensitiveKeyMatcher();

/**
 * Sends one HTTP request under the rules above. Resolves with the final
 * response (any status) or rejects with SafeHttpError; a bad allowlist,
 * CIDR list or limit is a configuration error and rejects with AppError
 * `validation_failed` before anything is sent.
 */
export async function safeRequest(opts: SafeRequestOptions): Promise<SafeResponse> {
  const timeoutMs = checkLimit("timeoutMs", opts.timeoutMs, 1);
  const maxResponseBytes = checkLimit("maxResponseBytes", opts.maxResponseBytes, 0);
  const maxRedirects = checkLimit("maxRedirects", opts.maxRedirects, 0);
  const rules = parseDomainAllowlist(opts.allowDomains);
  const cidrs = parseCidrList(opts.allowPrivateCidrs ?? []);
  const resolve = opts.resolve ?? systemResolver;

  let method = (opts.method ?? "GET").toUpperCase();
  if (!(HTTP_METHODS as readonly string[]).includes(method)) {
    throw new SafeHttpError("invalid_request", `The method must be one of ${HTTP_METHODS.join(", ")}`);
  }
  const headers = sanitiseHeaders(opts.headers ?? {});
  let body =
    opts.body === undefined
      ? undefined
      : typeof opts.body === "string"
        ? Buffer.from(opts.body, "utf8")
        : Buffer.from(opts.body);
  let url = parseUrl(opts.url);

  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new SafeHttpError("timeout", `The request did not complete within ${timeoutMs} ms`, { detail: { timeoutMs } }),
      ),
    timeoutMs,
  );
  const signal = controller.signal;
  const redirects: string[] = [];
  try {
    for (;;) {
      const target = await admit(url, rules, cidrs, resolve, signal);
      const res = await send(target, method, headers, body, signal);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECT_STATUSES.has(status) && location !== undefined) {
        res.destroy();
        if (redirects.length >= maxRedirects) {
          throw new SafeHttpError("too_many_redirects", `More than ${maxRedirects} redirects`, {
            detail: { maxRedirects },
          });
        }
        const next = parseUrl(location, url);
        if ((status === 303 && method !== "HEAD") || ((status === 301 || status === 302) && method === "POST")) {
          method = "GET";
          body = undefined;
          for (const h of BODY_HEADERS) headers.delete(h);
        }
        // As fetch does: credentials meant for one origin never follow a
        // redirect to another. Here that is any secret-named header.
        if (next.origin !== url.origin) {
          for (const name of [...headers.keys()]) if (isSensitiveHeader(name)) headers.delete(name);
        }
        redirects.push(next.href);
        url = next;
        continue;
      }
      const { body: raw, decoded } = await readBody(res, maxResponseBytes, signal, method);
      const outHeaders = flattenHeaders(res.headers);
      if (decoded) {
        delete outHeaders["content-encoding"];
        delete outHeaders["content-length"];
      }
      return {
        status,
        headers: outHeaders,
        body: decodeText(raw, res.headers["content-type"]),
        url: url.href,
        redirects,
      };
    }
  } catch (e) {
    if (signal.aborted && !(e instanceof SafeHttpError && e.reason !== "connect_failed")) throw signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The checks safeRequest makes before any network I/O (scheme, credentials,
 * domain allowlist, and the address when the host is an IP literal). Sandbox
 * connectors use it to tell a developer whether production would refuse.
 * Throws AppError `validation_failed` on a bad allowlist, like safeRequest.
 */
export function preflightUrl(
  rawUrl: string,
  allowDomains: readonly string[],
  allowPrivateCidrs: readonly string[] = [],
): { ok: true } | { ok: false; reason: SafeHttpRefusal; message: string } {
  const rules = parseDomainAllowlist(allowDomains);
  const cidrs = parseCidrList(allowPrivateCidrs);
  try {
    const hostname = admitUrl(parseUrl(rawUrl), rules);
    const family = ipFamily(hostname);
    if (family !== 0) refuseAddresses(hostname, [{ address: hostname, family }], cidrs);
    return { ok: true };
  } catch (e) {
    if (e instanceof SafeHttpError) return { ok: false, reason: e.reason, message: e.message };
    throw e;
  }
}
