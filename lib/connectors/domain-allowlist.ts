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
 */

export type DomainRule = { kind: "exact"; host: string } | { kind: "wildcard"; suffix: string };

function isIpHost(host: string): boolean {
  return isIP(host.startsWith("[") ? host.slice(1, -1) : host) !== 0;
}

/** The host as the allowlist compares it: URL.hostname without a trailing dot. */
export function normaliseHost(hostname: string): string {
  return hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
}

export function parseDomainRule(entry: string): DomainRule | null {
  const raw = entry.trim();
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
  if (!wildcard) return { kind: "exact", host };
  // "*.com" or "*.10.0.0.1" would be a wildcard over a TLD or an address.
  if (isIpHost(host) || !host.includes(".")) return null;
  return { kind: "wildcard", suffix: host };
}

export const domainAllowlistSchema = z
  .array(z.string().refine((s) => parseDomainRule(s) !== null, "must be a host name, an IP or *.domain"))
  .max(500);

export function parseDomainAllowlist(entries: readonly string[]): DomainRule[] {
  const rules: DomainRule[] = [];
  const errors: { path: string; message: string }[] = [];
  entries.forEach((e, i) => {
    const r = parseDomainRule(e);
    if (r) rules.push(r);
    else errors.push({ path: `allowDomains.${i}`, message: "must be a host name, an IP or *.domain" });
  });
  if (errors.length > 0) throw new AppError("validation_failed", "The domain allowlist is invalid", { errors });
  return rules;
}

/** `hostname` is URL.hostname. */
export function hostAllowed(hostname: string, rules: readonly DomainRule[]): boolean {
  const host = normaliseHost(hostname.toLowerCase());
  const ip = isIpHost(host);
  return rules.some((r) =>
    r.kind === "exact" ? r.host === host : !ip && host.length > r.suffix.length && host.endsWith(`.${r.suffix}`),
  );
}
