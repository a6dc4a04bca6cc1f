import { describe, expect, it } from "vitest";
import { clientIp, normaliseIp } from "@/lib/http/forwarded.mjs";

describe("client address", () => {
  it("ignores X-Forwarded-For entirely with no trusted hops", () => {
    expect(clientIp("10.0.0.5", "1.2.3.4", 0)).toBe("10.0.0.5");
  });

  it("takes the entry appended by the trusted proxy, not a client-forged one", () => {
    // client forged "6.6.6.6"; the proxy appended the real peer 203.0.113.9
    expect(clientIp("10.0.0.1", "6.6.6.6, 203.0.113.9", 1)).toBe("203.0.113.9");
    expect(clientIp("10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", 2)).toBe("203.0.113.9");
  });

  it("falls back to the socket when the chain is shorter than the trusted hops or garbage", () => {
    expect(clientIp("10.0.0.1", "", 1)).toBe("10.0.0.1");
    expect(clientIp("10.0.0.1", "not-an-ip", 1)).toBe("10.0.0.1");
    expect(clientIp("10.0.0.1", "1.2.3.4", 2)).toBe("10.0.0.1");
  });

  it("unwraps IPv4-mapped IPv6 socket addresses", () => {
    expect(normaliseIp("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(normaliseIp("::1")).toBe("::1");
    expect(normaliseIp("127.0.0.1; DROP")).toBeNull();
  });
});
