import { describe, expect, it } from "vitest";
import {
  domainAllowlistSchema,
  effectivePort,
  hostAllowed,
  parseDomainAllowlist,
  parseDomainRule,
} from "@/lib/connectors/domain-allowlist";

const allowed = (url: string, list: string[]) =>
  hostAllowed(new URL(url).hostname, effectivePort(new URL(url)), parseDomainAllowlist(list));

describe("domain allowlist", () => {
  it("an empty list allows nothing", () => {
    expect(allowed("https://example.com/", [])).toBe(false);
  });

  it("exact entries match the host only, case-insensitively", () => {
    const list = ["API.Example.com"];
    expect(allowed("https://api.example.com/x", list)).toBe(true);
    expect(allowed("https://API.EXAMPLE.COM/", list)).toBe(true);
    expect(allowed("https://api.example.com./", list)).toBe(true);
    expect(allowed("https://example.com/", list)).toBe(false);
    expect(allowed("https://v2.api.example.com/", list)).toBe(false);
    expect(allowed("https://api.example.com.evil.net/", list)).toBe(false);
    expect(allowed("https://evilapi.example.com/", list)).toBe(false);
  });

  it("wildcards match strict subdomains only", () => {
    const list = ["*.example.com"];
    expect(allowed("https://a.example.com/", list)).toBe(true);
    expect(allowed("https://a.b.example.com/", list)).toBe(true);
    expect(allowed("https://A.EXAMPLE.com/", list)).toBe(true);
    expect(allowed("https://example.com/", list)).toBe(false);
    expect(allowed("https://badexample.com/", list)).toBe(false);
    expect(allowed("https://example.com.evil.net/", list)).toBe(false);
    expect(allowed("https://a.example.co/", list)).toBe(false);
  });

  it("an entry without a port allows 80 and 443 only: allowing an address never opens its other ports", () => {
    expect(allowed("https://a.example.com/", ["*.example.com"])).toBe(true);
    expect(allowed("http://a.example.com/", ["*.example.com"])).toBe(true);
    expect(allowed("http://a.example.com:443/", ["*.example.com"])).toBe(true);
    expect(allowed("https://a.example.com:8443/", ["*.example.com"])).toBe(false);
    expect(allowed("http://10.0.0.5:5432/", ["10.0.0.5"])).toBe(false);
    expect(allowed("http://10.0.0.5:6379/", ["10.0.0.5"])).toBe(false);
    expect(allowed("http://[2001:db8::1]:22/", ["[2001:db8::1]"])).toBe(false);
    expect(allowed("https://example.com@evil.net/", ["example.com"])).toBe(false);
  });

  it("an entry may name a port or a range, and then allows only those", () => {
    expect(allowed("http://10.0.0.5:5432/", ["10.0.0.5:5432"])).toBe(true);
    expect(allowed("http://10.0.0.5/", ["10.0.0.5:5432"])).toBe(false);
    expect(allowed("https://10.0.0.5/", ["10.0.0.5:5432"])).toBe(false);
    expect(allowed("https://10.0.0.5:5433/", ["10.0.0.5:5432"])).toBe(false);
    expect(allowed("https://a.example.com:8050/", ["*.example.com:8000-8099"])).toBe(true);
    expect(allowed("https://a.example.com:8100/", ["*.example.com:8000-8099"])).toBe(false);
    expect(allowed("https://[2001:db8::1]:8443/", ["[2001:db8::1]:8443"])).toBe(true);
    expect(allowed("https://[2001:db8::1]/", ["[2001:db8::1]:8443", "[2001:db8::1]"])).toBe(true);
    expect(allowed("http://example.com:80/", ["example.com:80"])).toBe(true);
    expect(allowed("https://example.com/", ["example.com:80"])).toBe(false);
  });

  it("IDN hosts compare as punycode", () => {
    expect(allowed("https://bücher.example/", ["BÜCHER.example"])).toBe(true);
    expect(allowed("https://xn--bcher-kva.example/", ["bücher.example"])).toBe(true);
  });

  it("IP entries match the URL-normalised address, never through a wildcard", () => {
    expect(allowed("http://2130706433/", ["127.0.0.1"])).toBe(true);
    expect(allowed("http://[::FFFF:127.0.0.1]/", ["[::ffff:7f00:1]"])).toBe(true);
    expect(parseDomainRule("*.0.0.1")).toBeNull();
    expect(hostAllowed("10.0.0.1", 443, [{ kind: "wildcard", suffix: "0.0.1", ports: [{ from: 1, to: 65535 }] }])).toBe(
      false,
    );
  });

  it.each([
    "",
    "*",
    "*.",
    "*.com",
    "*.10.0.0.1",
    "example.com/path",
    "example.com:",
    "example.com:0",
    "example.com:65536",
    "example.com:9-5",
    "example.com:80,443",
    "example.com:http",
    "2001:db8::1",
    "2001:db8::1:80",
    "[2001:db8::1]x",
    "user@example.com",
    "exa mple.com",
    "a.*.example.com",
    "http://example.com",
  ])("refuses the entry %j", (entry) => {
    expect(parseDomainRule(entry)).toBeNull();
    expect(domainAllowlistSchema.safeParse([entry]).success).toBe(false);
  });

  it("normalises entries as URL hosts", () => {
    const web = [
      { from: 80, to: 80 },
      { from: 443, to: 443 },
    ];
    expect(parseDomainRule(" Example.COM. ")).toEqual({ kind: "exact", host: "example.com", ports: web });
    expect(parseDomainRule("*.Example.com")).toEqual({ kind: "wildcard", suffix: "example.com", ports: web });
    expect(parseDomainRule("0x7f.1")).toEqual({ kind: "exact", host: "127.0.0.1", ports: web });
    expect(parseDomainRule("0x7f.1:5432")).toEqual({
      kind: "exact",
      host: "127.0.0.1",
      ports: [{ from: 5432, to: 5432 }],
    });
  });
});
