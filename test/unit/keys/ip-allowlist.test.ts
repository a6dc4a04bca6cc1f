import { describe, expect, it } from "vitest";
import { ipAllowed, normaliseCidr } from "@/lib/keys/ip-allowlist";

describe("CIDR parsing", () => {
  it.each([
    ["10.1.2.3/8", "10.0.0.0/8"],
    ["203.0.113.7", "203.0.113.7/32"],
    ["2001:db8::1/32", "2001:db8::/32"],
    ["::1", "::1/128"],
  ])("%s → %s", (input, out) => {
    expect(normaliseCidr(input)).toBe(out);
  });
  it.each([
    "",
    "10.0.0.0/33",
    "300.1.1.1",
    "10.0.0.1/-1",
    "2130706433",
    "0177.0.0.1/8",
    "abc",
    "1.2.3.4/8/8",
    "::g/64",
  ])("refuses %j", (input) => {
    expect(normaliseCidr(input)).toBeNull();
  });
});

describe("address matching", () => {
  const list = ["203.0.113.0/24", "2001:db8::/32"];
  it("allows any address when the list is empty", () => {
    expect(ipAllowed("198.51.100.1", [])).toBe(true);
  });
  it("matches IPv4, IPv6 and IPv4-mapped IPv6", () => {
    expect(ipAllowed("203.0.113.200", list)).toBe(true);
    expect(ipAllowed("::ffff:203.0.113.9", list)).toBe(true);
    expect(ipAllowed("2001:db8:1::5", list)).toBe(true);
    expect(ipAllowed("203.0.114.1", list)).toBe(false);
    expect(ipAllowed("2001:db9::1", list)).toBe(false);
  });
  it("refuses an unknown or malformed address when a list is set", () => {
    expect(ipAllowed(null, list)).toBe(false);
    expect(ipAllowed("not-an-ip", list)).toBe(false);
  });
});
