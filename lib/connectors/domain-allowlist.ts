import { isIP } from "node:net";
import { z } from "zod";
import { AppError } from "../errors";

/**
 * An organization's outbound domain allowlist. Entries are exact hosts
 * ("api.example.com", "203.0.113.7", "[2001:db8::1]") or "*.example.com",
 * which matches strict subdomains only (a.example.com, a.b.example.com, not
 * example.com itself). Entries and hosts are compared in the form WHATWG URL
 * parsing gives them (lower case, IDN as punycode, numeric IPv4 forms as
 * dotted quads, IPv6 compressed in brackets), without a trailing dot. An empty
 * list allows nothing.
 *
 * Ports: an entry without a port allows only 80 and 443, so allowing an
 * address never opens its database or admin ports. An entry may name one port
 * or a range: "db.example.com:8443", "*.example.com:8000-8099",
 * "[2001:db8::1]:8443" (a port also allows nothing else: add a second entry for 443).
 */

export const DEFAULT_PORTS = [80, 443] as const;
export type PortRange = { from: number; to: number };
type Ports = { ports: readonly PortRange[] };
export type DomainRule = ({ kind: "exact"; host: string } | { kind: "wildcard"; suffix: string }) & Ports;

const DEFAULT_PORT_RANGES: readonly PortRange[] = DEFAULT_PORTS.map((p) => ({ from: p, to: p }));
const ENTRY_MESSAGE = "must be a host name, an IP or *.domain, optionally with :port or :from-to";

function isIpHost(host: string): boolean {
  return isIP(host.startsWith("[") ? host.slice(1, -1) : host) !== 0;
}

/** The host as the allowlist compares it: URL.hostname without a trailing dot. */
export function normaliseHost(hostname: string): string {
  return hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
}

/** Splits a trailing ":port" or ":from-to" off an entry (an IPv6 literal is always in brackets). */
function splitPort(raw: string): { host: string; ports: readonly PortRange[] } | null {
  const close = raw.startsWith("[") ? raw.indexOf("]") : -1;
  const colon = raw.indexOf(":", close + 1);
  if (colon < 0) return { host: raw, ports: DEFAULT_PORT_RANGES };
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(raw.slice(colon + 1));
  if (!m) return null;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || from > to) return null;
  return { host: raw.slice(0, colon), ports: [{ from, to }] };
}

export function parseDomainRule(entry: string): DomainRule | null {
  const split = splitPort(entry.trim());
  if (!split) return null;
  const { host: raw, ports } = split;
  const wildcard = raw.startsWith("*.");
  const body = wildcard ? raw.slice(2) : raw;
  if (body.length === 0 || body.length > 253 || /[/?#@\\*\s%]/.test(body)) return null;
  let url: URL;
  try {
    url = new URL(`http://${body}/`);
  } catch {
    return null;
  }
  if (url.port !== "" || url.username !== "" || url.password !== "" || url.pathname !== "/") return null;
  const host = normaliseHost(url.hostname);
  if (host.length === 0) return null;
  if (!wildcard) return { kind: "exact", host, ports };
  // "*.com" or "*.10.0.0.1" would be a wildcard over a TLD or an address.
  if (isIpHost(host) || !host.includes(".")) return null;
  return { kind: "wildcard", suffix: host, ports };
}

export const domainAllowlistSchema = z
  .array(z.string().refine((s) => parseDomainRule(s) !== null, ENTRY_MESSAGE))
  .max(500);

export function parseDomainAllowlist(entries: readonly string[]): DomainRule[] {
  const rules: DomainRule[] = [];
  const errors: { path: string; message: string }[] = [];
  entries.forEach((e, i) => {
    const r = parseDomainRule(e);
    if (r) rules.push(r);
    else errors.push({ path: `allowDomains.${i}`, message: ENTRY_MESSAGE });
  });
  if (errors.length > 0) throw new AppError("validation_failed", "The domain allowlist is invalid", { errors });
  return rules;
}

/** The port a URL dials: its explicit port, else its scheme's default. */
export function effectivePort(url: URL): number {
  if (url.port !== "") return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/**
 * The allowlist entry for exactly one URL's host and port: for requests whose
 * destination is itself the configuration (an alert channel's webhook URL, an
 * identity provider's endpoints), where the address policy is the guard.
 */
export function originAllowEntry(url: URL): string {
  return `${url.hostname}:${effectivePort(url)}`;
}

/** `hostname` is URL.hostname; `port` what the URL dials (effectivePort). */
export function hostAllowed(hostname: string, port: number, rules: readonly DomainRule[]): boolean {
  const host = normaliseHost(hostname.toLowerCase());
  const ip = isIpHost(host);
  return rules.some(
    (r) =>
      (r.kind === "exact" ? r.host === host : !ip && host.length > r.suffix.length && host.endsWith(`.${r.suffix}`)) &&
      r.ports.some((p) => port >= p.from && port <= p.to),
  );
}
