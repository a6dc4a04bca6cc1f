import ipaddr from "ipaddr.js";

/**
 * Parses and canonicalises a CIDR (or a bare address, taken as /32 or /128).
 * Returns null when malformed. The network address is normalised, so
 * "10.1.2.3/8" becomes "10.0.0.0/8".
 */
export function normaliseCidr(input: string): string | null {
  const raw = input.trim();
  if (raw.length === 0 || raw.length > 64) return null;
  try {
    const withPrefix = raw.includes("/") ? raw : `${raw}/${ipaddr.IPv4.isValidFourPartDecimal(raw) ? 32 : 128}`;
    if (!ipaddr.isValidCIDR(withPrefix)) return null;
    const [addr, bits] = ipaddr.parseCIDR(withPrefix);
    if (addr.kind() === "ipv4" && !ipaddr.IPv4.isValidFourPartDecimal(raw.split("/")[0]!)) return null;
    const network =
      addr.kind() === "ipv4"
        ? ipaddr.IPv4.networkAddressFromCIDR(withPrefix)
        : ipaddr.IPv6.networkAddressFromCIDR(withPrefix);
    return `${network.toString()}/${bits}`;
  } catch {
    return null;
  }
}

/** True when the address falls in one of the CIDRs; IPv4-mapped IPv6 addresses are judged as IPv4. */
export function ipAllowed(ip: string | null, allowlist: readonly string[]): boolean {
  if (allowlist.length === 0) return true;
  if (!ip || !ipaddr.isValid(ip)) return false;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  for (const cidr of allowlist) {
    try {
      const range = ipaddr.parseCIDR(cidr);
      if (addr.kind() === range[0].kind() && addr.match(range)) return true;
    } catch {
      // a malformed stored entry never matches
    }
  }
  return false;
}
