import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { AppError } from "../errors";

/**
 * Which IP addresses an outbound request may dial. Public unicast only: IPv4
 * must be in ipaddr.js's "unicast" class (everything not loopback, private,
 * link-local, CGNAT, unspecified, multicast, broadcast, reserved,
 * documentation, benchmarking, AS112 or AMT), and IPv6 must also lie in
 * global unicast 2000::/3, which leaves out deprecated IPv4-compatible
 * (::a.b.c.d), site-local and every other legacy range. Addresses that embed
 * an IPv4 address are judged by it (IPv4-mapped ::ffff:0:0/96, 6to4
 * 2002::/16, NAT64 64:ff9b::/96); Teredo and local-use NAT64 are refused.
 */

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;
type Address = IPv4 | IPv6;
export type Cidr = [Address, number];

export type AddressVerdict = { allowed: true; address: string } | { allowed: false; address: string; range: string };

// Not destinations at all: an admin's CIDR never lifts these.
const NEVER_LIFTED = new Set(["unspecified", "broadcast", "multicast"]);

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3") as [IPv6, number];
const NAT64_WELL_KNOWN = ipaddr.parseCIDR("64:ff9b::/96") as [IPv6, number];

function parseCidrEntry(entry: string): Cidr | null {
  const s = entry.trim();
  const slash = s.indexOf("/");
  const host = slash === -1 ? s : s.slice(0, slash);
  // net.isIP is strict (no "127.1", no octal), unlike ipaddr.js's IPv4 parser.
  const family = isIP(host);
  if (family === 0) return null;
  const prefixText = slash === -1 ? String(family === 4 ? 32 : 128) : s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > (family === 4 ? 32 : 128)) return null;
  const addr = ipaddr.parse(host);
  if (addr.kind() === "ipv6" && (addr as IPv6).isIPv4MappedAddress()) {
    if (prefix < 96) return null;
    return [(addr as IPv6).toIPv4Address(), prefix - 96];
  }
  return [addr, prefix];
}

/** An admin's list of private CIDRs to allow ("10.1.2.0/24", "127.0.0.1/32", a bare IP = one host). */
export const privateCidrsSchema = z
  .array(
    z
      .string()
      .trim()
      .refine((s) => parseCidrEntry(s) !== null, "must be an IPv4 or IPv6 CIDR"),
  )
  .max(100);

/** Parses allowPrivateCidrs; a bad entry is a configuration error (422), never silently skipped. */
export function parseCidrList(entries: readonly string[]): Cidr[] {
  const out: Cidr[] = [];
  const errors: { path: string; message: string }[] = [];
  entries.forEach((e, i) => {
    const c = parseCidrEntry(e);
    if (c) out.push(c);
    else errors.push({ path: `allowPrivateCidrs.${i}`, message: "must be an IPv4 or IPv6 CIDR" });
  });
  if (errors.length > 0) throw new AppError("validation_failed", "The private CIDR allowlist is invalid", { errors });
  return out;
}

function inAllowed(addr: Address, allow: readonly Cidr[]): boolean {
  return allow.some(([net, prefix]) => net.kind() === addr.kind() && addr.match(net, prefix));
}

function ipv4FromParts(hi: number, lo: number): IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/** The range name that makes an address non-public, or null if it is public unicast. */
function blockedRange(addr: Address): string | null {
  if (addr.kind() === "ipv4") {
    const range = (addr as IPv4).range();
    return range === "unicast" ? null : range;
  }
  const v6 = addr as IPv6;
  const range = v6.range();
  if (range === "6to4") {
    const inner = blockedRange(ipv4FromParts(v6.parts[1]!, v6.parts[2]!));
    return inner === null ? null : `6to4:${inner}`;
  }
  if (range === "rfc6052" && v6.match(NAT64_WELL_KNOWN)) {
    const inner = blockedRange(ipv4FromParts(v6.parts[6]!, v6.parts[7]!));
    return inner === null ? null : `nat64:${inner}`;
  }
  if (range !== "unicast") return range;
  if (!v6.match(GLOBAL_UNICAST_V6)) return "nonGlobalUnicast";
  return null;
}

/**
 * Judges one address as it will be dialled. `address` must be a literal IP in
 * standard notation (what DNS answers and WHATWG URL hosts are); anything else
 * is refused. Membership in an allowed CIDR lifts the refusal, except for
 * addresses that are not unicast destinations at all.
 */
export function checkAddress(address: string, allow: readonly Cidr[] = []): AddressVerdict {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (isIP(bare) === 0) return { allowed: false, address, range: "invalid" };
  let addr: Address = ipaddr.parse(bare);
  // A mapped address reaches the IPv4 host it embeds; judge and match that.
  if (addr.kind() === "ipv6" && (addr as IPv6).isIPv4MappedAddress()) addr = (addr as IPv6).toIPv4Address();
  const range = blockedRange(addr);
  if (range === null) return { allowed: true, address };
  if (!NEVER_LIFTED.has(range) && inAllowed(addr, allow)) return { allowed: true, address };
  return { allowed: false, address, range };
}
