import { describe, expect, it } from "vitest";
import {
  domainAllowlistSchema,
  hostAllowed,
  parseDomainAllowlist,
  parseDomainRule,
} from "@/lib/connectors/domain-allowlist";

const allowed = (url: string, list: string[]) => hostAllowed(new URL(url).hostname, parseDomainAllowlist(list));

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

  it("the port and userinfo do not affect matching", () => {
    expect(allowed("https://a.example.com:8443/", ["*.example.com"])).toBe(true);
    expect(allowed("https://example.com@evil.net/", ["example.com"])).toBe(false);
  });

  it("IDN hosts compare as punycode", () => {
    expect(allowed("https://bücher.example/", ["BÜCHER.example"])).toBe(true);
    expect(allowed("https://xn--bcher-kva.example/", ["bücher.example"])).toBe(true);
  });

  it("IP entries match the URL-normalised address, never through a wildcard", () => {
    expect(allowed("http://2130706433/", ["127.0.0.1"])).toBe(true);
    expect(allowed("http://[::FFFF:127.0.0.1]/", ["[::ffff:7f00:1]"])).toBe(true);
    expect(parseDomainRule("*.0.0.1")).toBeNull();
    expect(hostAllowed("10.0.0.1", [{ kind: "wildcard", suffix: "0.0.1" }])).toBe(false);
  });

  it.each([
    "",
    "*",
    "*.",
    "*.com",
    "*.10.0.0.1",
    "example.com/path",
    "example.com:443",
    "user@example.com",
    "exa mple.com",
    "a.*.example.com",
    "http://example.com",
  ])("refuses the entry %j", (entry) => {
    expect(parseDomainRule(entry)).toBeNull();
    expect(domainAllowlistSchema.safeParse([entry]).success).toBe(false);
  });

  it("normalises entries as URL hosts", () => {
    expect(parseDomainRule(" Example.COM. ")).toEqual({ kind: "exact", host: "example.com" });
    expect(parseDomainRule("*.Example.com")).toEqual({ kind: "wildcard", suffix: "example.com" });
    expect(parseDomainRule("0x7f.1")).toEqual({ kind: "exact", host: "127.0.0.1" });
  });
});
