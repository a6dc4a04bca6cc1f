import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { POLICY_FUNCTIONS, checkCondition } from "@/lib/policy";
import { policyFunctions } from "@/lib/policy/cel/functions";
import { run, value } from "./helpers";

const hostIn = (url: string, patterns: string[]) =>
  value(`url_host_in(params.url, params.patterns)`, { params: { url, patterns } });
const bareHostIn = (host: string, patterns: string[]) =>
  value(`host_in(params.host, params.patterns)`, { params: { host, patterns } });
const ipIn = (ip: string, cidr: string | string[]) =>
  value(`ip_in_cidr(params.ip, params.cidr)`, { params: { ip, cidr } });

describe("url_host_in", () => {
  it.each([
    ["https://api.example.com/v1", ["api.example.com"], true],
    ["https://API.Example.COM/v1", ["api.example.com"], true],
    ["https://api.example.com/v1", ["API.EXAMPLE.COM"], true],
    ["https://api.example.com./v1", ["api.example.com"], true],
    ["https://api.example.com:8443/v1", ["api.example.com"], true],
    ["https://other.example.com/", ["api.example.com"], false],
    ["https://api.example.com.evil.com/", ["api.example.com"], false],
  ])("exact host %s in %j -> %s", (url, patterns, expected) => {
    expect(hostIn(url, patterns)).toBe(expected);
  });

  it.each([
    ["https://a.example.org/", true],
    ["https://a.b.example.org/", true],
    ["https://A.B.EXAMPLE.ORG/", true],
    ["https://example.org/", false],
    ["https://badexample.org/", false],
    ["https://a.badexample.org/", false],
    ["https://example.org.evil.com/", false],
    ["https://a.example.org.evil.com/", false],
    ["https://a.example.orgx/", false],
  ])("*.example.org against %s -> %s", (url, expected) => {
    expect(hostIn(url, ["*.example.org"])).toBe(expected);
  });

  it("uses the real host, not what a naive reader sees", () => {
    expect(hostIn("https://api.example.com@evil.com/", ["api.example.com"])).toBe(false);
    expect(hostIn("https://evil.com\\@api.example.com/", ["api.example.com"])).toBe(false);
    expect(hostIn("https://evil.com#@api.example.com/", ["api.example.com"])).toBe(false);
    expect(hostIn("https://evil.com/?u=https://api.example.com", ["api.example.com"])).toBe(false);
  });

  it("canonicalises IPv4 hosts the way fetch does", () => {
    expect(hostIn("http://0x7f.1/", ["127.0.0.1"])).toBe(true);
    expect(hostIn("http://2130706433/", ["127.0.0.1"])).toBe(true);
  });

  it("compares IDN hosts in their ASCII form", () => {
    expect(hostIn("https://bücher.example/", ["xn--bcher-kva.example"])).toBe(true);
    expect(hostIn("https://xn--bcher-kva.example/", ["bücher.example"])).toBe(true);
  });

  it("matches IP literals exactly but never through a wildcard", () => {
    expect(hostIn("http://127.0.0.1/", ["127.0.0.1"])).toBe(true);
    expect(hostIn("http://[2001:db8::1]/", ["[2001:db8::1]"])).toBe(true);
    expect(hostIn("http://[2001:db8::1]/", ["2001:db8::1"])).toBe(true);
    expect(hostIn("http://127.0.0.1/", ["*.0.0.1"])).toBe(false);
    expect(hostIn("http://10.0.0.1/", ["*.0.1"])).toBe(false);
  });

  it.each([
    "not a url",
    "api.example.com",
    "//api.example.com/",
    "https://",
    "http://[::1/",
    "javascript:alert(1)",
    "mailto:a@api.example.com",
    "",
  ])("malformed or hostless URL %j never matches", (url) => {
    expect(hostIn(url, ["api.example.com", "*.example.com", "*.com"])).toBe(false);
  });

  it.each([
    "*",
    "*.",
    "**.example.org",
    "a.*.example.org",
    "*example.org",
    "api.example.com:443",
    "https://api.example.com",
    "api.example.com/x",
    " api.example.com",
    "user@api.example.com",
    "",
  ])("pattern %j is malformed and never matches", (pattern) => {
    expect(hostIn("https://api.example.com/", [pattern])).toBe(false);
    expect(hostIn("https://a.example.org/", [pattern])).toBe(false);
  });

  it("skips non-string list elements instead of failing", () => {
    expect(
      value(`url_host_in(params.url, params.list)`, { params: { url: "https://a.io/", list: [1, null, "a.io"] } }),
    ).toBe(true);
    expect(value(`url_host_in(params.url, params.list)`, { params: { url: "https://a.io/", list: [1, true] } })).toBe(
      false,
    );
  });

  it("is a runtime error (deny) when the URL is not a string", () => {
    const r = run(`url_host_in(params.url, ["a.io"])`, { params: { url: 42 } });
    expect(r.ok).toBe(false);
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string(), { maxLength: 4 }), (url, patterns) => {
        expect(typeof hostIn(url, patterns)).toBe("boolean");
        expect(typeof bareHostIn(url, patterns)).toBe("boolean");
      }),
      { numRuns: 300 },
    );
  });
});

describe("host_in", () => {
  it.each([
    ["example.com", ["example.com"], true],
    ["EXAMPLE.com.", ["example.com"], true],
    ["mail.example.com", ["*.example.com"], true],
    ["example.com", ["*.example.com"], false],
    ["badexample.com", ["*.example.com"], false],
    ["10.0.0.1", ["10.0.0.1"], true],
    ["::1", ["[::1]"], true],
    ["example.com:25", ["example.com"], false],
    ["example.com/x", ["example.com"], false],
    ["user@example.com", ["example.com"], false],
    ["http://example.com", ["example.com"], false],
    ["", ["example.com"], false],
    ["exa mple.com", ["exa mple.com"], false],
  ])("host_in(%j, %j) -> %s", (host, patterns, expected) => {
    expect(bareHostIn(host, patterns)).toBe(expected);
  });

  it("works on the domain of an e-mail address", () => {
    expect(value(`host_in(params.to.split("@")[1], ["example.com"])`, { params: { to: "bob@Example.com" } })).toBe(
      true,
    );
  });
});

describe("url_host and url_scheme", () => {
  it("return the normalised parts", () => {
    expect(
      value(`url_host(params.url) == "api.example.com"`, { params: { url: "HTTPS://API.Example.com.:443/x" } }),
    ).toBe(true);
    expect(value(`url_scheme(params.url) == "https"`, { params: { url: "HTTPS://api.example.com/" } })).toBe(true);
  });

  it("return an empty string for malformed URLs", () => {
    expect(value(`url_host(params.url) == "" && url_scheme(params.url) == ""`, { params: { url: "nope" } })).toBe(true);
  });
});

describe("http_method_is / http_method_in", () => {
  it.each([
    ["GET", "GET", true],
    ["get", "GET", true],
    ["Get", "get", true],
    ["POST", "GET", false],
    ["GET ", "GET", false],
    ["", "GET", false],
    ["GE T", "GE T", false],
    ["ſ", "S", false],
  ])("http_method_is(%j, %j) -> %s", (method, expected, result) => {
    expect(value(`http_method_is(params.m, params.e)`, { params: { m: method, e: expected } })).toBe(result);
  });

  it("matches against a list case-insensitively", () => {
    expect(value(`http_method_in(params.m, ["GET", "HEAD"])`, { params: { m: "head" } })).toBe(true);
    expect(value(`http_method_in(params.m, ["GET", "HEAD"])`, { params: { m: "DELETE" } })).toBe(false);
    expect(value(`http_method_in(params.m, params.list)`, { params: { m: "GET", list: [1, "get"] } })).toBe(true);
  });
});

describe("ip_in_cidr", () => {
  it.each([
    ["10.1.2.3", "10.0.0.0/8", true],
    ["11.1.2.3", "10.0.0.0/8", false],
    ["192.168.1.77", "192.168.1.0/24", true],
    ["192.168.2.1", "192.168.1.0/24", false],
    ["192.168.1.77", "192.168.1.1/24", true],
    ["8.8.8.8", "0.0.0.0/0", true],
    ["10.0.0.1", "10.0.0.1/32", true],
    ["10.0.0.2", "10.0.0.1/32", false],
  ])("IPv4 %s in %s -> %s", (ip, cidr, expected) => {
    expect(ipIn(ip, cidr)).toBe(expected);
  });

  it.each([
    ["2001:db8::1", "2001:db8::/32", true],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::/32", true],
    ["2001:db9::1", "2001:db8::/32", false],
    ["fd12:3456::1", "fd00::/8", true],
    ["fe80::1%eth0", "fe80::/10", true],
    ["::1", "::1/128", true],
    ["::2", "::1/128", false],
    ["::ffff:10.1.2.3", "10.0.0.0/8", true],
    ["::ffff:a01:203", "10.0.0.0/8", true],
    ["10.1.2.3", "::ffff:0:0/96", true],
    ["10.1.2.3", "::ffff:10.0.0.0/104", true],
    ["11.1.2.3", "::ffff:10.0.0.0/104", false],
    ["2001:db8::1", "10.0.0.0/8", false],
    ["10.1.2.3", "2001:db8::/32", false],
  ])("IPv6 %s in %s -> %s", (ip, cidr, expected) => {
    expect(ipIn(ip, cidr)).toBe(expected);
  });

  it("accepts a list of ranges", () => {
    expect(ipIn("10.1.2.3", ["192.168.0.0/16", "10.0.0.0/8"])).toBe(true);
    expect(ipIn("fd00::5", ["192.168.0.0/16", "fd00::/8"])).toBe(true);
    expect(ipIn("172.16.0.1", ["192.168.0.0/16", "10.0.0.0/8"])).toBe(false);
    expect(ipIn("10.1.2.3", [])).toBe(false);
  });

  it.each([
    ["127.1", "127.0.0.0/8"],
    ["0x7f.0.0.1", "127.0.0.0/8"],
    ["010.0.0.1", "10.0.0.0/8"],
    ["2130706433", "127.0.0.0/8"],
    ["10.0.0.256", "10.0.0.0/8"],
    ["10.0.0", "10.0.0.0/8"],
    [" 10.0.0.1", "10.0.0.0/8"],
    ["", "0.0.0.0/0"],
    ["::ffff:0x7f.0.0.1", "127.0.0.0/8"],
    ["gggg::1", "::/0"],
    ["10.0.0.1/8", "10.0.0.0/8"],
  ])("malformed address %j never matches %s", (ip, cidr) => {
    expect(ipIn(ip, cidr)).toBe(false);
  });

  it.each([
    "10.0.0.0/33",
    "10.0.0.0",
    "10.0.0.0/",
    "10.0.0.0/08",
    "10.0.0/8",
    "::/129",
    "fe80::%eth0/10",
    "x/8",
    "",
    "10.0.0.0/8/8",
  ])("malformed range %j never matches", (cidr) => {
    expect(ipIn("10.0.0.1", cidr)).toBe(false);
    expect(ipIn("fe80::1", cidr)).toBe(false);
  });

  it("is a runtime error (deny) when the address is not a string", () => {
    expect(run(`ip_in_cidr(params.ip, "10.0.0.0/8")`, { params: { ip: 167772161 } }).ok).toBe(false);
  });
});

describe("helper documentation", () => {
  it("documents every helper with an example that compiles", () => {
    const names = new Set(POLICY_FUNCTIONS.map((f) => f.name));
    expect(names).toEqual(new Set(policyFunctions.map((f) => f.name)));
    expect(names.size).toBe(7);
    for (const f of POLICY_FUNCTIONS) {
      const example = f.example.includes("==") ? f.example : `${f.example} == true`;
      expect(checkCondition(example), f.name).toEqual([]);
    }
  });
});
