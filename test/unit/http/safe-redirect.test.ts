import { describe, expect, it } from "vitest";
import { safeNextPath } from "@/lib/http/safe-redirect";

describe("post-login redirect", () => {
  it.each([
    ["/acme/members", "/acme/members"],
    ["/", "/"],
    [undefined, "/"],
    ["//evil.example", "/"],
    ["https://evil.example", "/"],
    ["/\\evil.example", "/"],
    ["javascript:alert(1)", "/"],
    ["/ok\nLocation: x", "/"],
  ])("%s → %s", (input, expected) => {
    expect(safeNextPath(input)).toBe(expected);
  });
});
