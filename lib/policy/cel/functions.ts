/**
 * Helper functions available inside policy conditions, on top of standard CEL
 * (operators, `size`, `in`, `has()`, `startsWith`/`endsWith`/`contains`/`matches`,
 * `exists`/`all`/`exists_one`/`map`/`filter`, `int()`/`double()`/`string()`,
 * `timestamp()`/`duration()`) and the CEL strings extension (`lowerAscii`,
 * `upperAscii`, `trim`, `split`, `join`, `replace`, `substring`, `indexOf`, ...).
 *
 * Every helper is total: a malformed URL, host, method, address or range makes
 * it return false (or "" for the url_* accessors), never an error. Calling one
 * with a value of the wrong type (a number where a string is expected) is a
 * runtime error, which denies the action.
 *
 *   url_host_in(url: string, patterns: list(string)) -> bool
 *     True when the host of `url` matches one of `patterns`. A pattern is an
 *     exact host ("api.example.com", "127.0.0.1", "[2001:db8::1]") or a
 *     subdomain wildcard ("*.example.org": matches a.example.org and
 *     a.b.example.org, not example.org or badexample.org). Hosts compare
 *     case-insensitively after WHATWG URL parsing (the parser fetch uses), so
 *     "https://user@evil.com/" has host evil.com and "http://0x7f.1/" has host
 *     127.0.0.1. Wildcards never match IP addresses. The scheme is not checked:
 *     combine with url_scheme() when it matters.
 *     url_host_in(params.url, ["api.github.com", "*.example.org"])
 *
 *   host_in(host: string, patterns: list(string)) -> bool
 *     The same match for a bare host name ("API.example.org", no scheme, port
 *     or path), e.g. the domain part of an e-mail address.
 *     host_in(params.to.split("@")[1], ["example.com", "*.example.com"])
 *
 *   url_host(url: string) -> string
 *     The lower-case host of `url` without a trailing dot; "" when malformed.
 *
 *   url_scheme(url: string) -> string
 *     The lower-case scheme of `url` without ":" ("https"); "" when malformed.
 *     url_scheme(params.url) == "https"
 *
 *   http_method_is(method: string, expected: string) -> bool
 *   http_method_in(method: string, methods: list(string)) -> bool
 *     Case-insensitive HTTP method comparison; a value that is not an HTTP
 *     token ("GE T", "") never matches.
 *     http_method_in(params.method, ["GET", "HEAD"])
 *
 *   ip_in_cidr(ip: string, cidr: string) -> bool
 *   ip_in_cidr(ip: string, cidrs: list(string)) -> bool
 *     True when the IPv4 or IPv6 address `ip` lies in the range (or one of the
 *     ranges). IPv4-mapped IPv6 addresses (::ffff:10.1.2.3) are treated as the
 *     IPv4 address. Only canonical dotted-quad IPv4 is accepted: "127.1",
 *     "0x7f.0.0.1" and "010.0.0.1" are malformed and never match, so write
 *     these checks as allow rules (falling through to the default deny)
 *     rather than as deny rules.
 *     ip_in_cidr(context.source_ip, ["10.0.0.0/8", "fd00::/8"])
 *
 * The editor shows the same list from POLICY_FUNCTIONS in ./docs.ts.
 *
 * Numbers inside `params` and `context` come from JSON and are CEL doubles:
 * comparisons with integers work (`params.amount > 500`), arithmetic needs
 * matching types (`params.amount * 2.0`, `int(params.amount) + 1`).
 */
import { type CelFunc, CelScalar, celFunc, listType } from "@bufbuild/cel";
import ipaddr from "ipaddr.js";

const { BOOL, DYN, STRING } = CelScalar;
// At runtime every CEL list has type list(dyn), so list parameters are
// declared that way; non-string elements are treated as malformed entries.
const LIST = listType(DYN);

/**
 * A small memo for parsed patterns and ranges: policies repeat the same
 * constant lists on every evaluation. Cleared wholesale when full, which keeps
 * memory bounded even if patterns come from action input.
 */
class Memo<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string, compute: (key: string) => V): V {
    const hit = this.map.get(key);
    if (hit !== undefined || this.map.has(key)) return hit as V;
    const value = compute(key);
    if (this.map.size >= this.limit) this.map.clear();
    this.map.set(key, value);
    return value;
  }
}

// ---------------------------------------------------------------- hosts

type HostPattern = { kind: "exact"; host: string } | { kind: "wildcard"; suffix: string };

const IPV4_HOST = /^\d{1,3}(\.\d{1,3}){3}$/;

function isIpHost(host: string): boolean {
  return host.startsWith("[") || IPV4_HOST.test(host);
}

function trimTrailingDot(host: string): string {
  return host.endsWith(".") ? host.slice(0, -1) : host;
}

/**
 * Normalises a bare host the way a URL parser would (lower case, IDN to
 * punycode, IPv4/IPv6 canonical form), refusing anything that carries a port,
 * credentials, a path or other URL syntax.
 */
function normalizeHost(raw: string): string | null {
  if (raw === "" || raw.length > 253 + 2 || /[\s/\\?#@%*]/u.test(raw)) return null;
  let candidate = raw;
  if (candidate.startsWith("[")) {
    if (!candidate.endsWith("]")) return null;
  } else if (candidate.includes(":")) {
    // A bare IPv6 address; anything else with a colon is a host:port.
    if (!ipaddr.IPv6.isValid(candidate) || candidate.includes("%")) return null;
    candidate = `[${candidate}]`;
  }
  let url: URL;
  try {
    url = new URL(`http://${candidate}/`);
  } catch {
    return null;
  }
  const host = trimTrailingDot(url.hostname.toLowerCase());
  if (host === "" || host.endsWith(".") || host.startsWith(".")) return null;
  return host;
}

function parseHostPattern(raw: string): HostPattern | null {
  if (raw.startsWith("*.")) {
    const base = normalizeHost(raw.slice(2));
    if (base === null || isIpHost(base)) return null;
    return { kind: "wildcard", suffix: `.${base}` };
  }
  const host = normalizeHost(raw);
  return host === null ? null : { kind: "exact", host };
}

const hostPatterns = new Memo<HostPattern | null>(2048);

function hostMatches(host: string, patterns: Iterable<unknown>): boolean {
  const ip = isIpHost(host);
  for (const raw of patterns) {
    if (typeof raw !== "string") continue;
    const pattern = hostPatterns.get(raw, parseHostPattern);
    if (pattern === null) continue;
    if (pattern.kind === "exact") {
      if (host === pattern.host) return true;
    } else if (!ip && host.length > pattern.suffix.length && host.endsWith(pattern.suffix)) {
      return true;
    }
  }
  return false;
}

function parseUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

function urlHost(raw: string): string {
  const url = parseUrl(raw);
  if (url === null) return "";
  const host = trimTrailingDot(url.hostname.toLowerCase());
  return host.startsWith(".") ? "" : host;
}

function urlScheme(raw: string): string {
  const url = parseUrl(raw);
  return url === null ? "" : url.protocol.slice(0, -1).toLowerCase();
}

// ---------------------------------------------------------------- HTTP methods

// RFC 9110 §5.6.2 token; restricting to ASCII also makes toUpperCase safe
// ("ſ".toUpperCase() is "S").
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function normalizeMethod(raw: string): string | null {
  return raw.length <= 64 && TOKEN.test(raw) ? raw.toUpperCase() : null;
}

function methodIn(method: string, expected: Iterable<unknown>): boolean {
  const m = normalizeMethod(method);
  if (m === null) return false;
  for (const e of expected) {
    if (typeof e === "string" && normalizeMethod(e) === m) return true;
  }
  return false;
}

// ---------------------------------------------------------------- IP ranges

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = { addr: Address; bits: number };

const FOUR_PART_DECIMAL = /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/;

/** Strict parse: canonical dotted-quad IPv4 or any valid IPv6 (zone ids allowed). */
function parseAddress(raw: string): Address | null {
  if (raw.length > 64) return null;
  if (FOUR_PART_DECIMAL.test(raw)) {
    return ipaddr.IPv4.isValid(raw) ? ipaddr.IPv4.parse(raw) : null;
  }
  if (!raw.includes(":") || !ipaddr.IPv6.isValid(raw)) return null;
  // Embedded IPv4 in an IPv6 literal must be dotted-quad as well.
  const dotted = /([^:]*\.[^:%]*)(%.*)?$/.exec(raw);
  if (dotted !== null && dotted[1] !== undefined && !FOUR_PART_DECIMAL.test(dotted[1])) return null;
  return ipaddr.IPv6.parse(raw);
}

function parseIp(raw: string): Address | null {
  const addr = parseAddress(raw);
  if (addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress()) return addr.toIPv4Address();
  return addr;
}

function parseRange(raw: string): Range | null {
  const slash = raw.indexOf("/");
  if (slash < 0 || raw.includes("%")) return null;
  const bitsText = raw.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  const addr = parseAddress(raw.slice(0, slash));
  if (addr === null) return null;
  if (addr instanceof ipaddr.IPv4) return bits <= 32 ? { addr, bits } : null;
  if (bits > 128) return null;
  // ::ffff:10.0.0.0/104 is 10.0.0.0/8; addresses are compared as IPv4 too.
  if (addr.isIPv4MappedAddress() && bits >= 96) return { addr: addr.toIPv4Address(), bits: bits - 96 };
  return { addr, bits };
}

const ranges = new Memo<Range | null>(2048);

function ipInRanges(ip: string, cidrs: Iterable<unknown>): boolean {
  const addr = parseIp(ip);
  if (addr === null) return false;
  for (const raw of cidrs) {
    if (typeof raw !== "string") continue;
    const range = ranges.get(raw, parseRange);
    if (range === null) continue;
    if (range.addr instanceof ipaddr.IPv4) {
      if (addr instanceof ipaddr.IPv4 && addr.match(range.addr, range.bits)) return true;
    } else {
      const v6 = addr instanceof ipaddr.IPv4 ? addr.toIPv4MappedAddress() : addr;
      if (v6.match(range.addr, range.bits)) return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------- registration

export const policyFunctions: readonly CelFunc[] = [
  celFunc("url_host_in", [STRING, LIST], BOOL, (url, patterns) => {
    const host = urlHost(url);
    return host !== "" && hostMatches(host, patterns);
  }),
  celFunc("host_in", [STRING, LIST], BOOL, (host, patterns) => {
    const normalized = normalizeHost(host);
    return normalized !== null && hostMatches(normalized, patterns);
  }),
  celFunc("url_host", [STRING], STRING, urlHost),
  celFunc("url_scheme", [STRING], STRING, urlScheme),
  celFunc("http_method_is", [STRING, STRING], BOOL, (method, expected) => methodIn(method, [expected])),
  celFunc("http_method_in", [STRING, LIST], BOOL, (method, methods) => methodIn(method, methods)),
  celFunc("ip_in_cidr", [STRING, STRING], BOOL, (ip, cidr) => ipInRanges(ip, [cidr])),
  celFunc("ip_in_cidr", [STRING, LIST], BOOL, (ip, cidrs) => ipInRanges(ip, cidrs)),
];

/**
 * Compile-time checks for constant arguments: a literal that can never match
 * ("*", "10.0.0.0/33", "GE T") is a mistake worth reporting in the editor.
 * Keyed by function name, then by argument position.
 */
export const constantArgumentChecks: ReadonlyMap<string, { index: number; check: (value: string) => string | null }> =
  new Map([
    ["url_host_in", { index: 1, check: checkHostPattern }],
    ["host_in", { index: 1, check: checkHostPattern }],
    ["http_method_is", { index: 1, check: checkMethod }],
    ["http_method_in", { index: 1, check: checkMethod }],
    ["ip_in_cidr", { index: 1, check: checkCidr }],
  ]);

function checkHostPattern(value: string): string | null {
  return parseHostPattern(value) === null
    ? `${JSON.stringify(value)} is not a valid host pattern: use an exact host such as "api.example.com" or a subdomain wildcard such as "*.example.com"`
    : null;
}

function checkMethod(value: string): string | null {
  return normalizeMethod(value) === null ? `${JSON.stringify(value)} is not a valid HTTP method` : null;
}

function checkCidr(value: string): string | null {
  return parseRange(value) === null
    ? `${JSON.stringify(value)} is not a valid CIDR range such as "10.0.0.0/8" or "fd00::/8"`
    : null;
}
