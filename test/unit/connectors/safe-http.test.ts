import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAppError } from "@/lib/errors";
import {
  safeRequest,
  SafeHttpError,
  type Resolver,
  type SafeHttpRefusal,
  type SafeRequestOptions,
} from "@/lib/connectors/safe-http";
import {
  closedPort,
  ipv6LoopbackAvailable,
  startHttpServer,
  startRecorder,
  type Recorder,
  type TestServer,
} from "./servers";

async function refusal(opts: SafeRequestOptions): Promise<SafeHttpError> {
  try {
    await safeRequest(opts);
  } catch (e) {
    if (e instanceof SafeHttpError) return e;
    throw e;
  }
  throw new Error(`expected ${opts.url} to be refused`);
}

async function expectRefused(opts: SafeRequestOptions, reason: SafeHttpRefusal): Promise<SafeHttpError> {
  const e = await refusal(opts);
  expect(e.reason, `${opts.url}: ${e.message}`).toBe(reason);
  return e;
}

const fixed =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

const resolverFails: Resolver = async () => {
  throw Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" });
};

let v4: Recorder;
let v4b: Recorder;
let v6: Recorder | null = null;

beforeAll(async () => {
  v4 = await startRecorder("127.0.0.1");
  v4b = await startRecorder("127.0.0.2");
  if (await ipv6LoopbackAvailable()) v6 = await startRecorder("::1");
});

afterAll(async () => {
  await v4.close();
  await v4b.close();
  await v6?.close();
});

describe("WHATWG URL normalisation of numeric hosts", () => {
  it.each([
    "2130706433",
    "0177.0.0.1",
    "0x7f.1",
    "127.1",
    "0x7f000001",
    "017700000001",
    "127.000.000.001",
    "0x7f.0x0.0x0.0x1",
  ])("http://%s/ becomes 127.0.0.1 before any check", (host) => {
    expect(new URL(`http://${host}/`).hostname).toBe("127.0.0.1");
  });

  it("IPv4-mapped IPv6 is kept as IPv6 hex", () => {
    expect(new URL("http://[::ffff:127.0.0.1]/").hostname).toBe("[::ffff:7f00:1]");
  });
});

describe("hostile destinations are refused before a socket connects", () => {
  const allowEverything = [
    "127.0.0.1",
    "0.0.0.0",
    "[::ffff:7f00:1]",
    "[::1]",
    "[::]",
    "[::7f00:1]",
    "[2002:7f00:1::]",
    "[64:ff9b::7f00:1]",
    "[2001::1]",
    "[fe80::1]",
    "[fc00::1]",
    "localhost",
    "*.rebind.test",
  ].map((host) => `${host}:1-65535`);

  it.each([
    "http://127.0.0.1:PORT/",
    "https://127.0.0.1:PORT/",
    "http://2130706433:PORT/",
    "http://0177.0.0.1:PORT/",
    "http://0x7f.1:PORT/",
    "http://127.1:PORT/",
    "http://0x7f000001:PORT/",
    "http://017700000001:PORT/",
    "http://0:PORT/",
    "http://0.0.0.0:PORT/",
    "http://[::ffff:127.0.0.1]:PORT/",
    "http://[::ffff:7f00:1]:PORT/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]:PORT/",
    "http://[::127.0.0.1]:PORT/",
    "http://[2002:7f00:1::]:PORT/",
    "http://[64:ff9b::7f00:1]:PORT/",
    "http://localhost:PORT/",
  ])("%s → address_not_allowed, zero connections", async (template) => {
    const url = template.replace("PORT", String(v4.port));
    const e = await expectRefused({ url, allowDomains: allowEverything }, "address_not_allowed");
    expect(e.code).toBe("forbidden");
    expect(v4.connections()).toBe(0);
  });

  it("the IPv6 loopback, unspecified, link-local, unique-local and Teredo forms", async () => {
    const port = v6?.port ?? v4.port;
    for (const host of ["[::1]", "[::]", "[fe80::1]", "[fc00::1]", "[2001::1]"]) {
      await expectRefused({ url: `http://${host}:${port}/`, allowDomains: allowEverything }, "address_not_allowed");
    }
    expect(v6?.connections() ?? 0).toBe(0);
    expect(v4.connections()).toBe(0);
  });

  it.each([
    ["loopback", ["127.0.0.1"]],
    ["a second loopback address", ["127.0.0.2:1-65535"]],
    ["IPv6 loopback", ["::1"]],
    ["IPv4-mapped loopback", ["::ffff:127.0.0.1"]],
    ["a public and a private answer together", ["93.184.216.34", "127.0.0.1"]],
    ["the metadata address", ["169.254.169.254:1-65535"]],
    ["RFC 1918", ["10.0.0.1:1-65535"]],
    ["CGNAT", ["100.64.0.1"]],
    ["a non-IP answer", ["not-an-ip"]],
  ])("a host name that resolves to %s", async (_label, answer) => {
    const url = `http://evil.rebind.test:${v4.port}/`;
    await expectRefused({ url, allowDomains: allowEverything, resolve: fixed(...answer) }, "address_not_allowed");
    expect(v4.connections()).toBe(0);
    expect(v4b.connections()).toBe(0);
    expect(v6?.connections() ?? 0).toBe(0);
  });

  it("private address refusal does not depend on the allowlist being wrong", async () => {
    // Host not allowlisted: refused earlier, still no connection.
    await expectRefused({ url: `http://127.0.0.1:${v4.port}/`, allowDomains: ["example.com"] }, "domain_not_allowed");
    await expectRefused({ url: `http://127.0.0.1:${v4.port}/`, allowDomains: [] }, "domain_not_allowed");
    expect(v4.connections()).toBe(0);
  });

  it("an allowed CIDR lifts only exact membership", async () => {
    // 127.0.0.2 is loopback too, but outside 127.0.0.1/32.
    await expectRefused(
      {
        url: `http://127.0.0.2:${v4b.port}/`,
        allowDomains: ["127.0.0.2:1024-65535"],
        allowPrivateCidrs: ["127.0.0.1/32"],
      },
      "address_not_allowed",
    );
    await expectRefused(
      { url: `http://0.0.0.0:${v4.port}/`, allowDomains: ["0.0.0.0:1024-65535"], allowPrivateCidrs: ["0.0.0.0/0"] },
      "address_not_allowed",
    );
    expect(v4b.connections()).toBe(0);
    expect(v4.connections()).toBe(0);
  });
});

describe("through an allowed loopback server", () => {
  let api: TestServer;
  let other: TestServer;
  const cidr = ["127.0.0.1/32"];

  beforeAll(async () => {
    other = await startHttpServer((_req, res) => res.end("other"));
    api = await startHttpServer((req, res, body) => {
      const url = new URL(req.url ?? "/", "http://x");
      const to = url.searchParams.get("to");
      if (url.pathname === "/redirect" && to) {
        res.writeHead(Number(url.searchParams.get("status") ?? 302), { location: to });
        res.end();
      } else if (url.pathname === "/loop") {
        res.writeHead(302, { location: "/loop" });
        res.end();
      } else if (url.pathname === "/echo") {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ method: req.method, headers: req.headers, body }));
      } else if (url.pathname === "/big") {
        const n = Number(url.searchParams.get("n"));
        if (url.searchParams.has("chunked")) {
          res.write("x".repeat(n / 2));
          res.end("x".repeat(n - n / 2));
        } else {
          res.setHeader("content-length", String(n));
          res.end("x".repeat(n));
        }
      } else if (url.pathname === "/gzip") {
        const n = Number(url.searchParams.get("n"));
        res.writeHead(200, { "content-encoding": "gzip", "content-type": "text/plain" });
        res.end(gzipSync(Buffer.alloc(n, 0x61)));
      } else if (url.pathname === "/hang") {
        // never answers
      } else if (url.pathname === "/trickle") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("first");
      } else if (url.pathname === "/cut") {
        res.writeHead(200, { "content-length": "100" });
        res.write("short", () => res.socket?.destroy());
      } else if (url.pathname === "/latin1") {
        res.setHeader("content-type", "text/plain; charset=iso-8859-1");
        res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
      } else {
        res.end("hello");
      }
    });
  });

  afterAll(async () => {
    await api.close();
    await other.close();
  });

  const base = () => `http://127.0.0.1:${api.port}`;

  it("succeeds with the address's CIDR allowed and the host allowlisted", async () => {
    const res = await safeRequest({
      url: `${base()}/`,
      allowDomains: ["127.0.0.1:1024-65535"],
      allowPrivateCidrs: cidr,
    });
    expect(res).toEqual(expect.objectContaining({ status: 200, body: "hello", url: `${base()}/`, redirects: [] }));
  });

  it("succeeds through a wildcard-allowlisted name, resolving it once and dialling the pinned answer", async () => {
    let calls = 0;
    // A rebinding resolver: the first answer passes the check, any later
    // answer would point at another loopback listener.
    const rebinding: Resolver = async () => {
      calls++;
      return [{ address: calls === 1 ? "127.0.0.1" : "127.0.0.2", family: 4 }];
    };
    const before = api.connections();
    const res = await safeRequest({
      url: `http://api.warden.test:${api.port}/`,
      allowDomains: ["*.warden.test:1024-65535"],
      allowPrivateCidrs: ["127.0.0.0/8"],
      resolve: rebinding,
    });
    expect(res.body).toBe("hello");
    expect(calls).toBe(1);
    expect(api.connections()).toBe(before + 1);
    expect(v4b.connections()).toBe(0);
  });

  it.each([
    ["another loopback address", (p: number) => `http://127.0.0.2:${p}/`, ["127.0.0.2:1-65535"]],
    ["the same address in decimal", (p: number) => `http://2130706434:${p}/`, ["127.0.0.2:1-65535"]],
    ["the metadata service", () => "http://169.254.169.254/latest/meta-data/", ["169.254.169.254:1-65535"]],
    ["RFC 1918", () => "http://10.0.0.1/", ["10.0.0.1:1-65535"]],
    ["IPv6 loopback", (p: number) => `http://[::1]:${p}/`, ["[::1]:1-65535"]],
    ["unspecified", (p: number) => `http://0.0.0.0:${p}/`, ["0.0.0.0:1-65535"]],
  ])("a redirect from it to %s is refused", async (_label, target, extraAllow) => {
    const port = v4b.port;
    const to = encodeURIComponent(target(port));
    const before = api.requests.length;
    await expectRefused(
      {
        url: `${base()}/redirect?to=${to}`,
        allowDomains: ["127.0.0.1:1024-65535", ...extraAllow],
        allowPrivateCidrs: cidr,
      },
      "address_not_allowed",
    );
    expect(api.requests.length).toBe(before + 1);
    expect(v4b.connections()).toBe(0);
    expect(v6?.connections() ?? 0).toBe(0);
  });

  it("a redirect to a name that resolves to a private address is refused", async () => {
    await expectRefused(
      {
        url: `${base()}/redirect?to=${encodeURIComponent(`http://internal.warden.test:${v4b.port}/`)}`,
        allowDomains: ["127.0.0.1:1024-65535", "*.warden.test:1024-65535"],
        allowPrivateCidrs: cidr,
        resolve: fixed("127.0.0.2"),
      },
      "address_not_allowed",
    );
    expect(v4b.connections()).toBe(0);
  });

  it("a redirect off the allowlist or to another scheme is refused", async () => {
    await expectRefused(
      {
        url: `${base()}/redirect?to=${encodeURIComponent("http://evil.example/")}`,
        allowDomains: ["127.0.0.1:1024-65535"],
        allowPrivateCidrs: cidr,
      },
      "domain_not_allowed",
    );
    for (const to of ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://127.0.0.1/"]) {
      await expectRefused(
        {
          url: `${base()}/redirect?to=${encodeURIComponent(to)}`,
          allowDomains: ["127.0.0.1:1024-65535"],
          allowPrivateCidrs: cidr,
        },
        "scheme_not_allowed",
      );
    }
  });

  it("a redirect to a port the allow rules do not name is refused before connecting", async () => {
    const before = other.connections();
    for (const allowDomains of [[`127.0.0.1:${api.port}`], [`127.0.0.1:${api.port}`, "127.0.0.1"]]) {
      await expectRefused(
        {
          url: `${base()}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${other.port}/`)}`,
          allowDomains,
          allowPrivateCidrs: cidr,
        },
        "domain_not_allowed",
      );
    }
    expect(other.connections()).toBe(before);
  });

  it("an allowed address without a port is not dialled on another port (e.g. 5432)", async () => {
    const before = api.connections();
    await expectRefused(
      { url: `${base()}/`, allowDomains: ["127.0.0.1"], allowPrivateCidrs: cidr },
      "domain_not_allowed",
    );
    await expectRefused(
      { url: "http://127.0.0.1:5432/", allowDomains: ["127.0.0.1"], allowPrivateCidrs: cidr },
      "domain_not_allowed",
    );
    expect(api.connections()).toBe(before);
  });

  it("follows allowed redirects and reports them", async () => {
    const to = `http://127.0.0.1:${other.port}/there`;
    const res = await safeRequest({
      url: `${base()}/redirect?to=${encodeURIComponent(to)}`,
      allowDomains: ["127.0.0.1:1024-65535"],
      allowPrivateCidrs: cidr,
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe("other");
    expect(res.url).toBe(to);
    expect(res.redirects).toEqual([to]);
  });

  it("caps redirect hops", async () => {
    const before = api.requests.length;
    await expectRefused(
      { url: `${base()}/loop`, allowDomains: ["127.0.0.1:1024-65535"], allowPrivateCidrs: cidr, maxRedirects: 3 },
      "too_many_redirects",
    );
    expect(api.requests.length - before).toBe(4);
    await expectRefused(
      { url: `${base()}/loop`, allowDomains: ["127.0.0.1:1024-65535"], allowPrivateCidrs: cidr, maxRedirects: 0 },
      "too_many_redirects",
    );
  });

  it("rewrites POST to GET on 302/303 and keeps it on 307", async () => {
    const echo = encodeURIComponent(`${base()}/echo`);
    const opts = {
      allowDomains: ["127.0.0.1:1024-65535"],
      allowPrivateCidrs: cidr,
      method: "POST" as const,
      body: "payload",
      headers: { "content-type": "text/plain" },
    };
    for (const [status, method, body] of [
      [302, "GET", ""],
      [303, "GET", ""],
      [307, "POST", "payload"],
      [308, "POST", "payload"],
    ] as const) {
      const res = await safeRequest({ ...opts, url: `${base()}/redirect?status=${status}&to=${echo}` });
      const seen = JSON.parse(res.body) as { method: string; body: string; headers: Record<string, string> };
      expect(seen.method, String(status)).toBe(method);
      expect(seen.body).toBe(body);
      expect(seen.headers["content-type"]).toBe(method === "GET" ? undefined : "text/plain");
    }
  });

  it("drops secret headers on a cross-origin redirect and keeps them on the same origin", async () => {
    const headers = { authorization: "Bearer s3cret", "x-api-key": "k", cookie: "a=b", "x-trace": "t" };
    const opts = {
      allowDomains: ["127.0.0.1:1024-65535", "localhost:1024-65535"],
      allowPrivateCidrs: cidr,
      headers,
      resolve: fixed("127.0.0.1"),
    };
    const same = await safeRequest({ ...opts, url: `${base()}/redirect?to=/echo` });
    const sameSeen = (JSON.parse(same.body) as { headers: Record<string, string> }).headers;
    expect(sameSeen["authorization"]).toBe("Bearer s3cret");
    expect(sameSeen["x-api-key"]).toBe("k");

    const cross = await safeRequest({
      ...opts,
      url: `${base()}/redirect?to=${encodeURIComponent(`http://localhost:${api.port}/echo`)}`,
    });
    const crossSeen = (JSON.parse(cross.body) as { headers: Record<string, string> }).headers;
    expect(crossSeen["authorization"]).toBeUndefined();
    expect(crossSeen["x-api-key"]).toBeUndefined();
    expect(crossSeen["cookie"]).toBeUndefined();
    expect(crossSeen["x-trace"]).toBe("t");
  });

  it("sanitises request headers: no Host override, no hop-by-hop, identity encoding", async () => {
    const res = await safeRequest({
      url: `${base()}/echo`,
      allowDomains: ["127.0.0.1:1024-65535"],
      allowPrivateCidrs: cidr,
      method: "POST",
      body: "abc",
      headers: {
        Host: "evil.example",
        Connection: "keep-alive, X-Secret-Hop",
        "X-Secret-Hop": "1",
        "Keep-Alive": "timeout=5",
        "Transfer-Encoding": "chunked",
        TE: "trailers",
        Upgrade: "websocket",
        "Proxy-Authorization": "Basic x",
        "Content-Length": "999",
        "Accept-Encoding": "gzip, br",
        Expect: "100-continue",
        "X-Custom": "kept",
      },
    });
    const seen = JSON.parse(res.body) as { headers: Record<string, string>; body: string };
    expect(seen.body).toBe("abc");
    expect(seen.headers["host"]).toBe(`127.0.0.1:${api.port}`);
    expect(seen.headers["content-length"]).toBe("3");
    expect(seen.headers["accept-encoding"]).toBe("identity");
    expect(seen.headers["x-custom"]).toBe("kept");
    expect(seen.headers["user-agent"]).toBe("warden-http-proxy");
    for (const h of [
      "x-secret-hop",
      "keep-alive",
      "transfer-encoding",
      "te",
      "upgrade",
      "proxy-authorization",
      "expect",
    ]) {
      expect(seen.headers[h], h).toBeUndefined();
    }
  });

  it("refuses header injection and unknown methods", async () => {
    const opts = { url: `${base()}/`, allowDomains: ["127.0.0.1:1024-65535"], allowPrivateCidrs: cidr };
    await expectRefused({ ...opts, headers: { "x-a": "1\r\nx-b: 2" } }, "invalid_request");
    await expectRefused({ ...opts, headers: { "bad name": "1" } }, "invalid_request");
    await expectRefused({ ...opts, method: "TRACE" as never }, "invalid_request");
  });

  it("caps the response size by Content-Length, while streaming, and at the exact limit", async () => {
    const opts = { allowDomains: ["127.0.0.1:1024-65535"], allowPrivateCidrs: cidr, maxResponseBytes: 1000 };
    const e = await expectRefused({ ...opts, url: `${base()}/big?n=5000` }, "response_too_large");
    expect(e.code).toBe("payload_too_large");
    await expectRefused({ ...opts, url: `${base()}/big?n=5000&chunked` }, "response_too_large");
    await expectRefused({ ...opts, url: `${base()}/big?n=1002&chunked` }, "response_too_large");
    const ok = await safeRequest({ ...opts, url: `${base()}/big?n=1000&chunked` });
    expect(ok.body.length).toBe(1000);
    // A HEAD answer declares the length of a body it does not send.
    const head = await safeRequest({ ...opts, method: "HEAD", url: `${base()}/big?n=5000` });
    expect(head).toMatchObject({ status: 200, body: "" });
    expect(head.headers["content-length"]).toBe("5000");
  });

  it("caps decompressed size when the server compresses anyway", async () => {
    const opts = { allowDomains: ["127.0.0.1:1024-65535"], allowPrivateCidrs: cidr, maxResponseBytes: 64 * 1024 };
    // 8 MiB of "a" gzips to ~8 KiB: small on the wire, large in memory.
    await expectRefused({ ...opts, url: `${base()}/gzip?n=${8 * 1024 * 1024}` }, "response_too_large");
    const ok = await safeRequest({ ...opts, url: `${base()}/gzip?n=100` });
    expect(ok.body).toBe("a".repeat(100));
    expect(ok.headers["content-encoding"]).toBeUndefined();
  });

  it("decodes the declared charset", async () => {
    const res = await safeRequest({
      url: `${base()}/latin1`,
      allowDomains: ["127.0.0.1:1024-65535"],
      allowPrivateCidrs: cidr,
    });
    expect(res.body).toBe("café");
  });

  it("times out waiting for headers, for a trickling body, and for DNS", async () => {
    const opts = { allowDomains: ["127.0.0.1:1024-65535", "slow.test"], allowPrivateCidrs: cidr, timeoutMs: 300 };
    const started = Date.now();
    const e = await expectRefused({ ...opts, url: `${base()}/hang` }, "timeout");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(e.code).toBe("unavailable");
    await expectRefused({ ...opts, url: `${base()}/trickle` }, "timeout");
    await expectRefused({ ...opts, url: "http://slow.test/", resolve: () => new Promise(() => undefined) }, "timeout");
  });

  it("reports connect and resolution failures, and a body cut short", async () => {
    await expectRefused(
      { url: `${base()}/cut`, allowDomains: ["127.0.0.1:1024-65535"], allowPrivateCidrs: cidr },
      "connect_failed",
    );
    const port = await closedPort();
    await expectRefused(
      { url: `http://127.0.0.1:${port}/`, allowDomains: ["127.0.0.1:1024-65535"], allowPrivateCidrs: cidr },
      "connect_failed",
    );
    await expectRefused(
      { url: "http://nowhere.test/", allowDomains: ["nowhere.test"], resolve: resolverFails },
      "connect_failed",
    );
    await expectRefused(
      { url: "http://nowhere.test/", allowDomains: ["nowhere.test"], resolve: fixed() },
      "connect_failed",
    );
  });
});

describe("requests refused on their face", () => {
  it.each([
    "ftp://example.com/",
    "file:///etc/passwd",
    "gopher://example.com/",
    "javascript:alert(1)",
    "data:text/plain,hi",
    "ws://example.com/",
  ])("%s → scheme_not_allowed", async (url) => {
    await expectRefused({ url, allowDomains: ["example.com"], resolve: resolverFails }, "scheme_not_allowed");
  });

  it("refuses unparseable URLs and URLs with credentials", async () => {
    await expectRefused({ url: "not a url", allowDomains: ["example.com"] }, "invalid_request");
    await expectRefused(
      { url: "http://user:pw@example.com/", allowDomains: ["example.com"], resolve: resolverFails },
      "invalid_request",
    );
  });

  it("an empty allowlist allows nothing", async () => {
    await expectRefused(
      { url: "https://example.com/", allowDomains: [], resolve: resolverFails },
      "domain_not_allowed",
    );
  });

  it("a malformed allowlist, CIDR list or limit is a configuration error", async () => {
    for (const opts of [
      { url: "https://example.com/", allowDomains: ["exa mple.com"] },
      { url: "https://example.com/", allowDomains: ["example.com"], allowPrivateCidrs: ["10.0.0.0/33"] },
      { url: "https://example.com/", allowDomains: ["example.com"], timeoutMs: 0 },
    ]) {
      const e = await safeRequest(opts).catch((err: unknown) => err);
      expect(isAppError(e) && !(e instanceof SafeHttpError) && e.code === "validation_failed").toBe(true);
    }
  });
});
