import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  keyTokens,
  REDACTED,
  redactParams,
  redactUrl,
  sensitiveKeyMatcher,
  sensitiveKeysSchema,
} from "@/lib/security/redact";

describe("secret-named keys", () => {
  const isSensitive = sensitiveKeyMatcher();

  it("splits keys into words", () => {
    expect(keyTokens("apiKey")).toEqual(["api", "key"]);
    expect(keyTokens("XAPIKey")).toEqual(["xapi", "key"]);
    expect(keyTokens("x-api-key")).toEqual(["x", "api", "key"]);
    expect(keyTokens("API_KEY")).toEqual(["api", "key"]);
    expect(keyTokens("client.secret value")).toEqual(["client", "secret", "value"]);
  });

  it.each([
    "password",
    "Password",
    "PASSWORD",
    "new_password",
    "passwordConfirm",
    "passwd",
    "apiKey",
    "api_key",
    "api-key",
    "API_KEY",
    "ApiKey",
    "APIKey",
    "apikey",
    "APIKEY",
    "x-api-key",
    "X-API-Key",
    "XApiKey",
    "apiKeyId",
    "token",
    "access_token",
    "accessToken",
    "refresh-token",
    "id_token",
    "X-Auth-Token",
    "csrftoken",
    "secret",
    "client_secret",
    "clientSecret",
    "SECRET_KEY",
    "authorization",
    "Authorization",
    "Proxy-Authorization",
    "cookie",
    "Set-Cookie",
    "private_key",
    "privateKey",
    "credit_card",
    "creditCard",
    "credit-card-number",
    "creditcard",
    "cvv",
    "ssn",
    "SSN",
    "customer_ssn",
  ])("%s is sensitive", (key) => {
    expect(isSensitive(key)).toBe(true);
  });

  it.each([
    "tokenizer",
    "max_tokens",
    "prompt_tokens",
    "secretary",
    "passwordless",
    "username",
    "email",
    "session",
    "key",
    "api",
    "card",
    "description",
    "keyboard",
    "authored",
  ])("%s is not", (key) => {
    expect(isSensitive(key)).toBe(false);
  });

  it("organizations extend the list, in any spelling", () => {
    const m = sensitiveKeyMatcher(["X-Signature", "pin"]);
    expect(m("x_signature")).toBe(true);
    expect(m("webhookXSignature")).toBe(true);
    expect(m("cardPin")).toBe(true);
    expect(m("pinned")).toBe(false);
    expect(sensitiveKeyMatcher()("x_signature")).toBe(false);
  });

  it("validates an organization's list", () => {
    expect(sensitiveKeysSchema.safeParse(["session_id", "X-Sig"]).success).toBe(true);
    expect(sensitiveKeysSchema.safeParse(["---"]).success).toBe(false);
    expect(sensitiveKeysSchema.safeParse([""]).success).toBe(false);
  });
});

describe("redactParams", () => {
  it("replaces values under secret keys whatever they hold, at any depth", () => {
    const input = {
      user: "alice",
      password: "hunter2",
      nested: { apiKey: 12345, deeper: [{ "X-API-KEY": { a: 1 } }, { client_secret: ["a", "b"] }] },
      headers: { Authorization: "Bearer abc", Accept: "application/json" },
      max_tokens: 256,
    };
    const { redacted, paths, counts } = redactParams(input);
    expect(redacted).toEqual({
      user: "alice",
      password: REDACTED,
      nested: { apiKey: REDACTED, deeper: [{ "X-API-KEY": REDACTED }, { client_secret: REDACTED }] },
      headers: { Authorization: REDACTED, Accept: "application/json" },
      max_tokens: 256,
    });
    expect(paths.sort()).toEqual(
      [
        "/headers/Authorization",
        "/nested/apiKey",
        "/nested/deeper/0/X-API-KEY",
        "/nested/deeper/1/client_secret",
        "/password",
      ].sort(),
    );
    expect(counts).toEqual({ key: 5 });
  });

  it("redacts PII inside strings in place, in nested arrays", () => {
    const { redacted, paths, counts } = redactParams({
      notes: ["write to alice@example.com about order 1234", ["card 4111 1111 1111 1111", "fine"]],
      total: 4111111111111111,
      price: 1299.99,
      year: 2024,
    });
    expect(redacted).toEqual({
      notes: ["write to [REDACTED:email] about order 1234", ["card [REDACTED:card]", "fine"]],
      total: "[REDACTED:card]",
      price: 1299.99,
      year: 2024,
    });
    expect(paths.sort()).toEqual(["/notes/0", "/notes/1/0", "/total"]);
    expect(counts).toEqual({ email: 1, card: 2 });
  });

  it("leaves Luhn-invalid card-like numbers alone", () => {
    expect(redactParams({ n: "4111 1111 1111 1112", m: 4111111111111112 }).redacted).toEqual({
      n: "4111 1111 1111 1112",
      m: 4111111111111112,
    });
  });

  it("uses the organization's keys", () => {
    const { redacted } = redactParams({ session_id: "s", other: "o" }, { sensitiveKeys: ["sessionId"] });
    expect(redacted).toEqual({ session_id: REDACTED, other: "o" });
  });

  it("escapes JSON Pointer paths", () => {
    expect(redactParams({ "a/b": { "c~d": { token: 1 } } }).paths).toEqual(["/a~1b/c~0d/token"]);
  });

  it("replaces containers beyond the depth bound (fail closed)", () => {
    let deep: unknown = { token: "x", ok: "visible" };
    for (let i = 0; i < 10; i++) deep = { next: deep };
    const shallow = redactParams(deep, { maxDepth: 5 });
    expect(JSON.stringify(shallow.redacted)).not.toContain("visible");
    expect(shallow.counts.depth).toBe(1);
    const full = redactParams(deep);
    expect(JSON.stringify(full.redacted)).toContain("visible");
    expect(full.counts).toEqual({ key: 1 });
  });

  it("handles a huge nesting without overflowing the stack", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(redactParams(deep).counts.depth).toBe(1);
  });

  it("keeps __proto__ as data and brings values to their JSON form", () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "when": null}') as object;
    const { redacted } = redactParams({
      ...input,
      d: new Date(0),
      u: undefined,
      big: 10n,
      inf: Infinity,
      arr: [undefined],
    });
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
    expect(JSON.stringify(redacted)).toBe(
      '{"__proto__":{"polluted":true},"when":null,"d":"1970-01-01T00:00:00.000Z","big":"10","inf":null,"arr":[null]}',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("never leaves a value under a secret key (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom("password", "apiKey", "x-auth-token", "client_secret"), (v, key) => {
        const out = redactParams({ wrapper: [{ [key]: v }] }).redacted as { wrapper: Record<string, unknown>[] };
        expect(out.wrapper[0]![key]).toBe(REDACTED);
      }),
    );
  });

  it("is idempotent (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const once = redactParams(v).redacted;
        expect(redactParams(once).redacted).toEqual(once);
      }),
    );
  });
});

describe("redactUrl", () => {
  it("redacts secret query parameters, userinfo and PII", () => {
    expect(redactUrl("https://u:p@api.example.com/v1/users/bob@example.com?api_key=abc&q=hi&email=c%40d.com")).toBe(
      "https://api.example.com/v1/users/[REDACTED:email]?api_key=[REDACTED]&q=hi&email=[REDACTED:email]",
    );
    expect(redactUrl("https://api.example.com/x?sig=1", { sensitiveKeys: ["sig"] })).toBe(
      "https://api.example.com/x?sig=[REDACTED]",
    );
    expect(redactUrl("https://api.example.com/x?page=2")).toBe("https://api.example.com/x?page=2");
  });
});
