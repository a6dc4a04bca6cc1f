import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DELETE as removePasskey } from "@/app/api/v1/account/passkeys/[id]/route";
import { POST as beginRegistration } from "@/app/api/v1/account/passkeys/route";
import { POST as finishRegistration } from "@/app/api/v1/account/passkeys/verify/route";
import { POST as verifyStepUpRoute } from "@/app/api/v1/account/step-up/[id]/route";
import { POST as beginStepUpRoute } from "@/app/api/v1/account/step-up/route";
import { POST as beginPasskeySignIn } from "@/app/api/v1/session/passkey/route";
import { GET as secondOptions, POST as secondFactor } from "@/app/api/v1/session/second-factor/route";
import { GET as whoami } from "@/app/api/v1/session/route";
import { signInWithPasskey } from "@/lib/auth/second-factor";
import { signInWithPassword } from "@/lib/auth/sign-in";
import { closeDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, TEST_PASSWORD, type TestOrg, type TestUser } from "../helpers/fixtures";
import { call, cookieForToken, cookieFromSetCookie, sessionCookie } from "../helpers/http";
import { SoftAuthenticator } from "../helpers/webauthn";

const meta = { ip: "198.51.100.30", userAgent: "vitest" };
let t: TestOrg;

beforeAll(async () => {
  t = await createTestOrg("pk");
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function events(orgId: string, action: string, actorId: string) {
  return (
    await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 AND action = $2 AND actor_id = $3 ORDER BY seq`, [
      orgId,
      action,
      actorId,
    ])
  ).rows;
}
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return e instanceof AppError ? e.code : `other: ${String(e)}`;
  }
}

/** Registers a soft passkey for `user` in a fresh session (step-up `stepUpId` when needed). */
async function register(user: TestUser, auth: SoftAuthenticator, cookie?: string, headers?: Record<string, string>) {
  const c = cookie ?? (await sessionCookie(user.id)).cookie;
  const begun = await call(beginRegistration, { method: "POST", cookie: c });
  expect(begun.status).toBe(201);
  expect(begun.json.options.authenticatorSelection).toMatchObject({
    residentKey: "required",
    userVerification: "required",
  });
  const response = auth.register({ challenge: begun.json.options.challenge });
  return call(finishRegistration, {
    method: "POST",
    cookie: c,
    headers,
    body: { challenge_id: begun.json.challenge_id, name: "Laptop", response },
  });
}

describe("passkey registration", () => {
  it("registers a passkey (public key stored, audited, recovery codes for a first factor)", async () => {
    const u = t.users.admin;
    const auth = new SoftAuthenticator(u.id);
    const r = await register(u, auth);
    expect(r.status).toBe(201);
    expect(r.json.passkey.name).toBe("Laptop");
    expect(r.json.recovery_codes).toHaveLength(10);
    const row = (await owner().query(`SELECT * FROM webauthn_credentials WHERE user_id = $1`, [u.id])).rows[0];
    expect(row.credential_id).toBe(auth.id);
    expect(row.public_key.length).toBeGreaterThan(60);
    const ev = await events(t.org.id, "mfa.factor_added", u.id);
    expect(ev.at(-1).data).toMatchObject({ type: "webauthn", credential_id: auth.id, name: "Laptop" });
  });

  it("refuses a response for another origin, another RP ID, without user verification, or replayed", async () => {
    const u = (await createTestOrg("pkreg")).users.viewer;
    const s = await sessionCookie(u.id);
    for (const variant of [{ origin: "https://evil.example" }, { rpId: "evil.example" }, { uv: false }]) {
      const auth = new SoftAuthenticator(u.id);
      if ("uv" in variant) auth.userVerified = false;
      const begun = await call(beginRegistration, { method: "POST", cookie: s.cookie });
      const response = auth.register({ challenge: begun.json.options.challenge, ...variant });
      const r = await call(finishRegistration, {
        method: "POST",
        cookie: s.cookie,
        body: { challenge_id: begun.json.challenge_id, name: "x", response },
      });
      expect(r.status, JSON.stringify(variant)).toBe(422);
    }
    // a response for another challenge
    const auth = new SoftAuthenticator(u.id);
    const begun = await call(beginRegistration, { method: "POST", cookie: s.cookie });
    const wrong = auth.register({ challenge: Buffer.from("another-challenge-another").toString("base64url") });
    expect(
      (
        await call(finishRegistration, {
          method: "POST",
          cookie: s.cookie,
          body: { challenge_id: begun.json.challenge_id, name: "x", response: wrong },
        })
      ).status,
    ).toBe(422);
    expect(
      (await owner().query(`SELECT count(*)::int AS n FROM webauthn_credentials WHERE user_id = $1`, [u.id])).rows[0].n,
    ).toBe(0);
    // replay of a good registration: the challenge is spent
    const b2 = await call(beginRegistration, { method: "POST", cookie: s.cookie });
    const good = auth.register({ challenge: b2.json.options.challenge });
    const body = { challenge_id: b2.json.challenge_id, name: "ok", response: good };
    expect((await call(finishRegistration, { method: "POST", cookie: s.cookie, body })).status).toBe(201);
    expect((await call(finishRegistration, { method: "POST", cookie: s.cookie, body })).status).toBe(409);
    // another session cannot use this session's challenge
    const other = await sessionCookie(u.id);
    const b3 = await call(beginRegistration, { method: "POST", cookie: s.cookie });
    const r3 = await call(finishRegistration, {
      method: "POST",
      cookie: other.cookie,
      body: {
        challenge_id: b3.json.challenge_id,
        name: "x",
        response: new SoftAuthenticator(u.id).register({ challenge: b3.json.options.challenge }),
      },
    });
    expect(r3.status).toBe(409);
  });

  it("a second factor needs a step-up, and the same credential cannot be registered twice", async () => {
    const u = (await createTestOrg("pk2")).users.viewer;
    const first = new SoftAuthenticator(u.id);
    expect((await register(u, first)).status).toBe(201);
    const s = await sessionCookie(u.id);
    const second = new SoftAuthenticator(u.id);
    const noStep = await register(u, second, s.cookie);
    expect(noStep.json.code).toBe("step_up_required");
    // step up with the first passkey
    const g = await call(beginStepUpRoute, { method: "POST", cookie: s.cookie, body: { purpose: "factors.change" } });
    expect(g.json.methods).toEqual(["webauthn", "recovery_code"]);
    const ok = await call(verifyStepUpRoute, {
      method: "POST",
      cookie: s.cookie,
      params: { id: g.json.step_up_id },
      body: { method: "webauthn", response: first.assert({ challenge: g.json.webauthn.challenge }) },
    });
    expect(ok.status).toBe(200);
    const r = await register(u, second, s.cookie, { "x-warden-step-up": g.json.step_up_id });
    expect(r.status).toBe(201);
    expect(r.json.recovery_codes).toBeNull();
  });
});

describe("passkey sign-in", () => {
  let u: TestUser;
  let auth: SoftAuthenticator;
  beforeAll(async () => {
    u = t.users.approver;
    auth = new SoftAuthenticator(u.id);
    expect((await register(u, auth)).status).toBe(201);
  });

  it("passkey-first (usernameless) sign-in opens a complete session established by the passkey", async () => {
    const ch = await call(beginPasskeySignIn, { method: "POST" });
    expect(ch.status).toBe(201);
    expect(ch.json.options.allowCredentials).toEqual([]);
    expect(ch.json.options.userVerification).toBe("required");
    const response = auth.assert({ challenge: ch.json.options.challenge });
    const r = await signInWithPasskey({ challenge_id: ch.json.challenge_id, response }, meta);
    const row = (await owner().query(`SELECT stage, auth_methods FROM sessions WHERE id = $1`, [r.sessionId])).rows[0];
    expect(row).toEqual({ stage: "complete", auth_methods: ["webauthn"] });
    const used = (
      await owner().query(`SELECT last_used_at FROM webauthn_credentials WHERE credential_id = $1`, [auth.id])
    ).rows[0];
    expect(used.last_used_at).not.toBeNull();
    // the same assertion again: its challenge is spent
    expect(await codeOf(signInWithPasskey({ challenge_id: ch.json.challenge_id, response }, meta))).toBe(
      "unauthenticated",
    );
  });

  it("refuses an assertion for another challenge, origin, RP ID, without user verification, or of an unknown credential", async () => {
    const bad = async (mutate: (challenge: string) => unknown) => {
      const ch = await call(beginPasskeySignIn, { method: "POST" });
      return codeOf(
        signInWithPasskey({ challenge_id: ch.json.challenge_id, response: mutate(ch.json.options.challenge) }, meta),
      );
    };
    expect(
      await bad(() => auth.assert({ challenge: Buffer.from("some-other-challenge-xx").toString("base64url") })),
    ).toBe("unauthenticated");
    expect(await bad((c) => auth.assert({ challenge: c, origin: "https://evil.example" }))).toBe("unauthenticated");
    expect(await bad((c) => auth.assert({ challenge: c, rpId: "evil.example" }))).toBe("unauthenticated");
    expect(await bad((c) => auth.assert({ challenge: c, type: "webauthn.create" }))).toBe("unauthenticated");
    expect(await bad((c) => new SoftAuthenticator(u.id).assert({ challenge: c }))).toBe("unauthenticated");
    auth.userVerified = false;
    expect(await bad((c) => auth.assert({ challenge: c }))).toBe("unauthenticated");
    auth.userVerified = true;
    // a tampered signature
    expect(
      await bad((c) => {
        const a = auth.assert({ challenge: c });
        const sig = Buffer.from(a.response.signature, "base64url");
        sig[sig.length - 1] = sig[sig.length - 1]! ^ 1;
        return { ...a, response: { ...a.response, signature: sig.toString("base64url") } };
      }),
    ).toBe("unauthenticated");
    expect(await codeOf(signInWithPasskey({ challenge_id: "nope", response: {} }, meta))).toBe("unauthenticated");
    expect((await events(t.org.id, "auth.sign_in_failed", u.id)).some((e) => e.data.reason === "bad_passkey")).toBe(
      true,
    );
  });

  it("a passkey completes the second step after a password; another person's credential does not", async () => {
    const p = await signInWithPassword({ email: u.email, password: TEST_PASSWORD }, meta);
    expect(p.mfaPending).toBe(true);
    const cookie = await cookieForToken(u.id, p.sessionToken);
    const opts = await call(secondOptions, { cookie });
    expect(opts.json.methods).toEqual(["webauthn", "recovery_code"]);
    expect(opts.json.webauthn.options.allowCredentials.map((c: { id: string }) => c.id)).toEqual([auth.id]);

    // another user's passkey (registered to them) over this challenge
    const stranger = t.users.viewer;
    const theirs = new SoftAuthenticator(stranger.id);
    expect((await register(stranger, theirs)).status).toBe(201);
    const foreign = await call(secondFactor, {
      method: "POST",
      cookie,
      body: {
        method: "webauthn",
        challenge_id: opts.json.webauthn.challenge_id,
        response: theirs.assert({ challenge: opts.json.webauthn.options.challenge }),
      },
    });
    expect(foreign.status).toBe(422);

    const opts2 = await call(secondOptions, { cookie });
    const ok = await call(secondFactor, {
      method: "POST",
      cookie,
      body: {
        method: "webauthn",
        challenge_id: opts2.json.webauthn.challenge_id,
        response: auth.assert({ challenge: opts2.json.webauthn.options.challenge }),
      },
    });
    expect(ok.status).toBe(200);
    const fresh = cookieFromSetCookie(ok);
    expect((await call(whoami, { cookie: fresh })).json.session.auth_methods).toEqual(["pwd", "webauthn"]);
    await owner().query(`DELETE FROM rate_limits`);
  });

  it("removing a passkey needs a step-up; an unknown or another person's passkey id is 404", async () => {
    const s = await sessionCookie(u.id);
    const mine = (await owner().query(`SELECT id FROM webauthn_credentials WHERE user_id = $1`, [u.id])).rows[0].id;
    const theirs = (await owner().query(`SELECT id FROM webauthn_credentials WHERE user_id = $1`, [t.users.viewer.id]))
      .rows[0].id;
    expect((await call(removePasskey, { method: "DELETE", cookie: s.cookie, params: { id: theirs } })).status).toBe(
      404,
    );
    expect((await call(removePasskey, { method: "DELETE", cookie: s.cookie, params: { id: mine } })).json.code).toBe(
      "step_up_required",
    );
    const g = await call(beginStepUpRoute, { method: "POST", cookie: s.cookie, body: { purpose: "factors.change" } });
    await call(verifyStepUpRoute, {
      method: "POST",
      cookie: s.cookie,
      params: { id: g.json.step_up_id },
      body: { method: "webauthn", response: auth.assert({ challenge: g.json.webauthn.challenge }) },
    });
    expect(
      (
        await call(removePasskey, {
          method: "DELETE",
          cookie: s.cookie,
          params: { id: mine },
          headers: { "x-warden-step-up": g.json.step_up_id },
        })
      ).status,
    ).toBe(204);
    expect((await events(t.org.id, "mfa.factor_removed", u.id)).at(-1).data).toMatchObject({ type: "webauthn" });
  });
});
