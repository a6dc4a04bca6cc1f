import { describe, expect, it } from "vitest";
import { scrubLogLine } from "@/lib/log";

describe("scrubLogLine", () => {
  it.each([
    [
      "an API key in an error message",
      '{"msg":"bad key wdn_live_4bX9aZq1Pq0e8Jc2bLr7QwC8Xr2mNnP1qS3tU5vW7yZ9aBcDeF"}',
      "4bX9aZq1",
    ],
    [
      "a SCIM token",
      '{"msg":"token wscim_0b9e4f7e6b0e4a599a591c_abcDEF-ghi_jklMNOpqrSTUvwxYZ0123456789abcdefg"}',
      "abcDEF-ghi",
    ],
    ["a webhook signing secret", '{"msg":"secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}', "MfKQ9r8GKYqr"],
    ["a bearer token", '{"authorization":"Bearer abc.def-ghi_123"}', "abc.def-ghi_123"],
    [
      "a session cookie",
      '{"cookie":"next-auth.session-token=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..x.y.z; other=1"}',
      "eyJhbGci",
    ],
    ["a secure session cookie", "__Secure-next-auth.session-token=sekrit-value", "sekrit-value"],
    ["a JWT on its own", '{"t":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"}', "c2lnbmF0dXJl"],
    ["a password in a query string", '{"url":"/x?user=a&password=hunter22&y=1"}', "hunter22"],
    ["an OAuth code in a URL", '{"url":"/api/sso/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=x"}', "SplxlOBeZQQYbYS6WxSbIA"],
    ["a TOTP code field", '{"body":{"code":"492039"}}', "492039"],
    [
      "a recovery code field, escaped in a message",
      '{"msg":"{\\"code\\":\\"abcd-efgh-jkmn-pqrs\\"}"}',
      "abcd-efgh-jkmn-pqrs",
    ],
  ])("removes %s", (_what, line, secret) => {
    expect(line).toContain(secret);
    expect(scrubLogLine(line)).not.toContain(secret);
  });

  it("keeps what is not a secret: error codes, ids, messages", () => {
    const line = '{"err":{"code":"ECONNREFUSED","message":"connect failed"},"requestId":"5f1c","code":"P2002"}';
    expect(scrubLogLine(line)).toBe(line);
  });
});
