import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkAddress, parseCidrList, privateCidrsSchema } from "@/lib/connectors/address-policy";
import { isAppError } from "@/lib/errors";

describe("checkAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "linkLocal"],
    ["100.64.0.1", "carrierGradeNat"],
    ["100.127.255.255", "carrierGradeNat"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["192.0.2.1", "reserved"],
    ["198.51.100.7", "reserved"],
    ["203.0.113.9", "reserved"],
    ["198.18.0.1", "reserved"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.8", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "linkLocal"],
    ["febf::1", "linkLocal"],
    ["fc00::1", "uniqueLocal"],
    ["fd12:3456::1", "uniqueLocal"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:169.254.169.254", "linkLocal"],
    ["2002:7f00:1::", "6to4:loopback"],
    ["2002:a9fe:a9fe::1", "6to4:linkLocal"],
    ["64:ff9b::7f00:1", "nat64:loopback"],
    ["64:ff9b::a00:1", "nat64:private"],
    ["64:ff9b:1::1", "rfc6052"],
    ["2001::1", "teredo"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo"],
    ["2001:db8::1", "reserved"],
    ["::7f00:1", "nonGlobalUnicast"],
    ["fec0::1", "deprecatedSiteLocal"],
    ["100::1", "discard"],
  ])("%s is refused as %s", (ip, range) => {
    expect(checkAddress(ip)).toEqual({ allowed: false, address: ip, range });
  });

  it.each([
    "93.184.216.34",
    "1.1.1.1",
    "8.8.8.8",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:93.184.216.34",
    "2002:5db8:d822::1",
    "64:ff9b::5db8:d822",
  ])("%s is public", (ip) => {
    expect(checkAddress(ip).allowed).toBe(true);
  });

  it.each(["127.1", "0x7f.0.0.1", "2130706433", "0177.0.0.1", "localhost", "", "1.2.3.4.5"])(
    "non-standard notation %j is refused, never reinterpreted",
    (ip) => {
      expect(checkAddress(ip)).toMatchObject({ allowed: false, range: "invalid" });
    },
  );

  it("accepts bracketed IPv6 as URL hosts carry it", () => {
    expect(checkAddress("[::1]").allowed).toBe(false);
    expect(checkAddress("[2606:4700:4700::1111]").allowed).toBe(true);
  });

  it("an allowed CIDR lifts exactly its members", () => {
    const allow = parseCidrList(["127.0.0.1/32", "10.20.0.0/16", "fd00:1::/64"]);
    expect(checkAddress("127.0.0.1", allow).allowed).toBe(true);
    expect(checkAddress("::ffff:127.0.0.1", allow).allowed).toBe(true);
    expect(checkAddress("127.0.0.2", allow).allowed).toBe(false);
    expect(checkAddress("10.20.255.1", allow).allowed).toBe(true);
    expect(checkAddress("10.21.0.1", allow).allowed).toBe(false);
    expect(checkAddress("fd00:1::5", allow).allowed).toBe(true);
    expect(checkAddress("fd00:2::5", allow).allowed).toBe(false);
    // An IPv4 CIDR never matches IPv6 space by accident.
    expect(checkAddress("::1", allow).allowed).toBe(false);
  });

  it("unspecified, broadcast and multicast are never lifted", () => {
    const allow = parseCidrList(["0.0.0.0/0", "::/0"]);
    expect(checkAddress("0.0.0.0", allow).allowed).toBe(false);
    expect(checkAddress("255.255.255.255", allow).allowed).toBe(false);
    expect(checkAddress("224.0.0.1", allow).allowed).toBe(false);
    expect(checkAddress("::", allow).allowed).toBe(false);
    expect(checkAddress("10.0.0.1", allow).allowed).toBe(true);
  });

  it("every address in a private IPv4 block is refused (property)", () => {
    const blocks: [number, number, number][] = [
      [127, 0, 8],
      [10, 0, 8],
      [172, 16, 12],
      [192, 168, 16],
      [169, 254, 16],
      [100, 64, 10],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...blocks), fc.integer({ min: 0, max: 2 ** 32 - 1 }), ([a, b, prefix], rand) => {
        const base = ((a << 24) | (b << 16)) >>> 0;
        const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
        const n = ((base & mask) | (rand & ~mask)) >>> 0;
        const ip = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
        expect(checkAddress(ip).allowed).toBe(false);
        expect(checkAddress(`::ffff:${ip}`).allowed).toBe(false);
      }),
    );
  });
});

describe("parseCidrList", () => {
  it("reads CIDRs and bare addresses", () => {
    expect(parseCidrList(["10.0.0.0/8", "127.0.0.1", "::1", "fd00::/8", "::ffff:10.0.0.0/104"])).toHaveLength(5);
  });

  it.each([
    "10.0.0.0/33",
    "::/129",
    "10.0.0/8",
    "127.1/32",
    "example.com",
    "10.0.0.0/-1",
    "10.0.0.0/8/8",
    "::ffff:10.0.0.0/64",
  ])("refuses %j", (entry) => {
    const e = (() => {
      try {
        parseCidrList([entry]);
      } catch (err) {
        return err;
      }
    })();
    expect(isAppError(e) && e.code === "validation_failed").toBe(true);
    expect(privateCidrsSchema.safeParse([entry]).success).toBe(false);
  });
});
