import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as submit, GET as listActions } from "@/app/api/v1/actions/route";
import { GET as members } from "@/app/api/v1/members/route";
import { POST as secondFactor } from "@/app/api/v1/session/second-factor/route";
import { GET as ssoCallback } from "@/app/api/sso/[connectionId]/callback/route";
import { signInWithPassword } from "@/lib/auth/sign-in";
import { closeDb } from "@/lib/db/client";
import { captureLogs, log } from "@/lib/log";
import { closeOwner } from "../helpers/db";
import { createAgentWithKey, publishPolicy, type TestAgent } from "../helpers/firewall";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";
import { bearer } from "../helpers/keys";

// Every log line, at the most verbose level, goes to this test.
process.env.LOG_LEVEL = "trace";
const lines: string[] = [];
const stopCapture = captureLogs((line) => lines.push(line));

/** Secrets planted in the inputs; none may appear in any log line. */
const canary = (label: string) => `cnry${label}${randomBytes(8).toString("hex")}`;
const C = {
  password: canary("pw"),
  param: canary("param"),
  sensitiveParam: canary("card"),
  bearer: canary("bearer"),
  cookie: canary("cookie"),
  query: canary("query"),
  oauthCode: canary("oauth"),
  keyBody: canary("key"),
  errorMessage: canary("err"),
};
const TOTP = String(100000 + (randomBytes(3).readUIntBE(0, 3) % 900000));

let t: TestOrg;
let agent: TestAgent;
let admin: string;

beforeAll(async () => {
  t = await createTestOrg("canary");
  agent = await createAgentWithKey(t, { tools: { allowed: ["files"] } });
  await publishPolicy(t, [{ name: "files", condition: 'tool == "files"', effect: "allow" }]);
  admin = (await sessionCookie(t.users.admin.id)).cookie;
});
afterAll(async () => {
  stopCapture();
  await closeOwner();
  await closeDb();
});

describe("no log line holds a secret from any input", () => {
  it("runs requests and failures carrying planted secrets", async () => {
    // An agent's action, with secrets in params (sensitive and not).
    const ok = await call(submit, {
      method: "POST",
      path: "/api/v1/actions",
      headers: bearer(agent.token),
      body: { tool: "files", operation: "read", params: { note: C.param, card_number: C.sensitiveParam } },
    });
    expect(ok.status).toBe(201);
    // The agent's real key, in a failing request (tool not allowed).
    const refused = await call(submit, {
      method: "POST",
      path: "/api/v1/actions",
      headers: bearer(agent.token),
      body: { tool: "not-allowed", operation: "x", params: { password: C.param } },
    });
    expect(refused.status).toBeGreaterThanOrEqual(200);
    // Forged and malformed credentials.
    expect((await call(submit, { method: "POST", headers: bearer(`wdn_live_${C.keyBody}`), body: {} })).status).toBe(
      401,
    );
    expect((await call(submit, { method: "POST", headers: { authorization: `Bearer ${C.bearer}` } })).status).toBe(401);
    expect((await call(members, { cookie: `next-auth.session-token=${C.cookie}`, org: t.org.slug })).status).toBe(401);
    // A credential in the query string is refused before anything else.
    expect(
      (await call(listActions, { path: `/api/v1/actions?api_key=${C.query}`, cookie: admin, org: t.org.slug })).status,
    ).toBe(400);
    expect(
      (await call(listActions, { path: `/api/v1/actions?status=${C.query}`, cookie: admin, org: t.org.slug })).status,
    ).toBe(422);
    // Password sign-in: a wrong password for a real account and for an unknown one.
    for (const email of [t.users.viewer.email, `nobody-${randomUUID()}@example.test`]) {
      await expect(
        signInWithPassword({ email, password: C.password }, { ip: "203.0.113.9", userAgent: "canary" }),
      ).rejects.toMatchObject({ code: "unauthenticated" });
    }
    // A TOTP code sent to the second step of a session that has none pending.
    const second = await call(secondFactor, {
      method: "POST",
      cookie: admin,
      body: { method: "totp", code: TOTP },
    });
    expect(second.status).toBeGreaterThanOrEqual(400);
    // An OAuth authorization code on an SSO callback that matches no request.
    const cb = await call(ssoCallback, {
      path: `/api/sso/${randomUUID()}/callback?code=${C.oauthCode}&state=${canary("state")}`,
      params: { connectionId: randomUUID() },
    });
    expect(cb.status).toBeLessThan(500);
    // A library error that echoes its input, logged the way route.ts logs unexpected errors.
    log().error(
      {
        err: new Error(`upstream refused password=${C.password} with ${`wdn_live_${C.keyBody}`}`),
        req: { headers: { authorization: `Bearer ${C.bearer}`, cookie: `next-auth.session-token=${C.cookie}` } },
        body: { code: TOTP, password: C.password },
      },
      `could not reach upstream (Bearer ${C.bearer})`,
    );
  });

  it("the logs were on, and none of their lines holds a planted secret", () => {
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => l.includes("sign-in failed for unknown account"))).toBe(true);
    expect(lines.some((l) => l.includes("could not reach upstream"))).toBe(true);
    const leaks: string[] = [];
    for (const line of lines) {
      for (const [name, secret] of Object.entries(C)) if (line.includes(secret)) leaks.push(`${name}: ${line}`);
      if (line.includes(agent.token)) leaks.push(`api key: ${line}`);
      if (new RegExp(`(^|[^0-9])${TOTP}([^0-9]|$)`).test(line)) leaks.push(`totp: ${line}`);
    }
    expect(leaks).toEqual([]);
  });
});
