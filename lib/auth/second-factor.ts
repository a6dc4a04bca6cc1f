import { randomBytes } from "node:crypto";
import { z } from "zod";
import { lookupCredentialOwner, lookupUserLocks, lookupUserMemberships } from "../db/lookup";
import { withAnonymous, withUser } from "../db/tenant";
import { AppError } from "../errors";
import type { SessionUser } from "../rbac/context";
import { randomToken, sha256Hex } from "../security/hash";
import { signInByIp } from "../security/rate-limit";
import { clearMfaFailures, lockedMessage, mfaLockState, recordMfaFailure } from "./mfa-throttle";
import { recordBreakGlass, ssoOnlyRefusal } from "./break-glass";
import { consumeRecoveryCode, RECOVERY_CODES_LOW } from "./recovery-codes";
import { auditEachOrg, auditSignInFailure, createSession, type AuthMethod, type RequestMeta } from "./sessions";
import { auditMfaLocked, CHALLENGE_MAX_FAILURES, credentialsOf, failureMessage } from "./step-up";
import { consumeTotpCode } from "./totp";
import { authenticationOptions, authenticationResponseSchema, verifyUserPasskey } from "./webauthn";

/**
 * The second step of sign-in. After the password, a person with a factor holds
 * an 'mfa_pending' session that can do nothing but this (or sign out). A
 * correct TOTP code, passkey or recovery code completes it: the session row
 * becomes 'complete' under a NEW token (the pending cookie is worthless
 * afterwards), and the sign-in is audited with how it was established. Five
 * wrong answers end the pending session; ten in 15 minutes lock the second
 * step for 15 minutes (mfa-throttle.ts).
 */
const CHALLENGE_TTL_SECONDS = 300;

export const secondFactorSchema = z.discriminatedUnion("method", [
  z.object({ method: z.literal("totp"), code: z.string().trim().max(20) }),
  z.object({ method: z.literal("recovery_code"), code: z.string().trim().max(40) }),
  z.object({
    method: z.literal("webauthn"),
    challenge_id: z.string().uuid(),
    response: authenticationResponseSchema,
  }),
]);
export type SecondFactorInput = z.infer<typeof secondFactorSchema>;

/** What the second-step page offers, with a passkey challenge when the person has passkeys. */
export async function secondFactorOptions(user: SessionUser) {
  if (!user.mfaPending) throw new AppError("conflict", "This session has already completed sign-in");
  const lock = await mfaLockState(user.userId);
  const creds = user.factors.includes("webauthn")
    ? await withUser(user.userId, (tx) => credentialsOf(tx, user.userId))
    : [];
  let webauthn = null;
  if (creds.length > 0) {
    const challenge = randomBytes(32).toString("base64url");
    const row = await withUser(user.userId, (tx) =>
      tx.mfaChallenge.create({
        data: {
          userId: user.userId,
          sessionId: user.sessionId,
          purpose: "sign_in.second_factor",
          nonce: randomBytes(16).toString("base64url"),
          challenge,
          expiresAt: new Date(Date.now() + CHALLENGE_TTL_SECONDS * 1000),
        },
        select: { id: true },
      }),
    );
    webauthn = {
      challenge_id: row.id,
      options: await authenticationOptions({
        challenge: Buffer.from(challenge, "base64url"),
        allow: creds.map((c) => ({ credentialId: c.credentialId, transports: c.transports })),
      }),
    };
  }
  return {
    methods: [
      ...(user.factors.includes("totp") ? ["totp"] : []),
      ...(creds.length > 0 ? ["webauthn"] : []),
      "recovery_code",
    ],
    webauthn,
    locked: lock.locked ? { retry_after_seconds: lock.retryAfterSeconds } : null,
  };
}

export type CompletedSignIn = { token: string; method: AuthMethod; recoveryCodesLeft: number | null };

export async function hasSecondFactor(userId: string): Promise<boolean> {
  const rows = await withUser(
    userId,
    (tx) =>
      tx.$queryRaw<{ n: number }[]>`
      SELECT (SELECT count(*) FROM user_totp WHERE user_id = ${userId}::uuid AND confirmed_at IS NOT NULL)::int
           + (SELECT count(*) FROM webauthn_credentials WHERE user_id = ${userId}::uuid)::int AS n`,
  );
  return (rows[0]?.n ?? 0) > 0;
}

export async function completeSecondFactor(
  user: SessionUser,
  input: SecondFactorInput,
  meta: RequestMeta,
): Promise<CompletedSignIn> {
  if (!user.mfaPending) throw new AppError("conflict", "This session has already completed sign-in");
  const lock = await mfaLockState(user.userId);
  if (lock.locked) {
    throw new AppError("rate_limited", lockedMessage(lock.retryAfterSeconds), {
      headers: { "Retry-After": String(lock.retryAfterSeconds) },
    });
  }
  const memberships = await lookupUserMemberships(user.userId);
  const token = randomToken(32);

  const outcome = await withUser(user.userId, async (tx) => {
    let method: AuthMethod | null = null;
    let failure = "wrong_code";
    let recoveryCodesLeft: number | null = null;
    if (input.method === "totp") {
      const r = await consumeTotpCode(tx, user.userId, input.code);
      if (r.ok) method = "otp";
      else failure = r.reason;
    } else if (input.method === "recovery_code") {
      const r = await consumeRecoveryCode(tx, user.userId, input.code);
      if (r) {
        method = "recovery";
        recoveryCodesLeft = r.remaining;
      }
    } else {
      // The challenge must be this session's own, unused and unexpired: used here, once.
      const ch = await tx.$queryRaw<{ challenge: string }[]>`
        UPDATE mfa_challenges SET used_at = now()
         WHERE id = ${input.challenge_id}::uuid AND user_id = ${user.userId}::uuid
           AND session_id = ${user.sessionId}::uuid AND purpose = 'sign_in.second_factor'
           AND used_at IS NULL AND expires_at > now()
        RETURNING challenge`;
      const check = ch[0] ? await verifyUserPasskey(tx, user.userId, input.response, ch[0].challenge) : null;
      if (check?.ok) method = "webauthn";
      else failure = ch[0] ? "bad_assertion" : "challenge_expired";
    }

    if (!method) {
      const rows = await tx.$queryRaw<{ mfa_failures: number }[]>`
        UPDATE sessions SET mfa_failures = mfa_failures + 1,
               revoked_at = CASE WHEN mfa_failures + 1 >= ${CHALLENGE_MAX_FAILURES} THEN now() END,
               revoke_reason = CASE WHEN mfa_failures + 1 >= ${CHALLENGE_MAX_FAILURES} THEN 'mfa_failed' END
         WHERE id = ${user.sessionId}::uuid AND stage = 'mfa_pending' AND revoked_at IS NULL
        RETURNING mfa_failures`;
      return {
        ok: false as const,
        failure,
        burned: (rows[0]?.mfa_failures ?? CHALLENGE_MAX_FAILURES) >= CHALLENGE_MAX_FAILURES,
      };
    }

    const done = await tx.$executeRaw`
      UPDATE sessions SET stage = 'complete', token_hash = ${sha256Hex(token)},
             auth_methods = array_append(auth_methods, ${method}::text), mfa_failures = 0, last_seen_at = now()
       WHERE id = ${user.sessionId}::uuid AND stage = 'mfa_pending' AND revoked_at IS NULL`;
    if (done !== 1) throw new AppError("mfa_required", "This sign-in has ended; sign in again");
    await auditEachOrg(
      tx,
      memberships.map((m) => m.org_id),
      {
        userId: user.userId,
        action: "auth.sign_in",
        sessionId: user.sessionId,
        ip: meta.ip,
        data: { methods: [...user.authMethods, method], user_agent: meta.userAgent?.slice(0, 200) ?? null },
      },
    );
    if (method === "recovery") {
      await auditEachOrg(
        tx,
        memberships.map((m) => m.org_id),
        {
          userId: user.userId,
          action: "mfa.recovery_code_used",
          sessionId: user.sessionId,
          ip: meta.ip,
          data: { purpose: "sign_in", remaining: recoveryCodesLeft },
        },
      );
      // Into an SSO-only organization, an admin's recovery code is break-glass.
      await recordBreakGlass(
        tx,
        memberships,
        { userId: user.userId, email: user.email, sessionId: user.sessionId },
        meta,
      );
    }
    return { ok: true as const, method, recoveryCodesLeft };
  });

  if (!outcome.ok) {
    await auditSignInFailure(user.userId, `second_factor_${outcome.failure}`, meta);
    const locked = await recordMfaFailure(user.userId);
    if (locked) await auditMfaLocked(user.userId, meta);
    const message = failureMessage(outcome.failure, false, locked);
    if (outcome.burned) {
      throw new AppError("mfa_required", `${message}. Too many wrong answers: sign in again.`);
    }
    throw new AppError("validation_failed", message, {
      errors: [{ path: input.method === "webauthn" ? "response" : "code", message }],
    });
  }
  await clearMfaFailures(user.userId);
  return {
    token,
    method: outcome.method,
    recoveryCodesLeft: outcome.recoveryCodesLeft,
  };
}

export function lowRecoveryCodes(left: number | null): boolean {
  return left !== null && left <= RECOVERY_CODES_LOW;
}

/* ---------------------------------------------------------------------------
 * Passkey-first sign-in (usernameless): the passkey is both factors.
 * ------------------------------------------------------------------------- */

export async function beginPasskeySignIn() {
  const challenge = randomBytes(32).toString("base64url");
  const row = await withAnonymous((tx) =>
    tx.mfaChallenge.create({
      data: {
        purpose: "sign_in",
        nonce: randomBytes(16).toString("base64url"),
        challenge,
        expiresAt: new Date(Date.now() + CHALLENGE_TTL_SECONDS * 1000),
      },
      select: { id: true },
    }),
  );
  return {
    challenge_id: row.id,
    options: await authenticationOptions({ challenge: Buffer.from(challenge, "base64url"), allow: [] }),
  };
}

export const passkeySignInSchema = z.object({
  challenge_id: z.string().uuid(),
  response: authenticationResponseSchema,
});

/**
 * Verifies a usernameless assertion and opens a complete session. Every
 * refusal reads the same ("That passkey could not sign you in") and counts
 * against the client address like a failed password.
 */
export async function signInWithPasskey(
  input: unknown,
  meta: RequestMeta,
): Promise<{ userId: string; sessionToken: string; sessionId: string }> {
  const ipKey = meta.ip ?? "unknown";
  const ip = await signInByIp.check(ipKey);
  if (ip.limited) {
    throw new AppError(
      "rate_limited",
      `Too many failed sign-in attempts. Try again in ${Math.ceil(ip.retryAfterSeconds / 60)} minute(s).`,
    );
  }
  const refuse = async () => {
    await signInByIp.fail(ipKey);
    return new AppError("unauthenticated", "That passkey could not sign you in");
  };
  const parsed = passkeySignInSchema.safeParse(input);
  if (!parsed.success) throw await refuse();
  const { challenge_id, response } = parsed.data;

  // The challenge is used once, whatever the outcome.
  const ch = await withAnonymous(
    (tx) =>
      tx.$queryRaw<{ challenge: string }[]>`
      UPDATE mfa_challenges SET used_at = now()
       WHERE id = ${challenge_id}::uuid AND user_id IS NULL AND purpose = 'sign_in'
         AND used_at IS NULL AND expires_at > now()
      RETURNING challenge`,
  );
  if (!ch[0]) throw await refuse();
  const owner = await lookupCredentialOwner(response.id);
  if (!owner) throw await refuse();
  if (response.response.userHandle !== undefined) {
    const handle = Buffer.from(response.response.userHandle, "base64url").toString("hex");
    if (handle !== owner.replace(/-/g, "")) throw await refuse();
  }
  const verified = await withUser(
    owner,
    async (tx) => (await verifyUserPasskey(tx, owner, response, ch[0]!.challenge)).ok,
  );
  if (!verified) {
    await auditSignInFailure(owner, "bad_passkey", meta);
    throw await refuse();
  }
  if ((await lookupUserLocks(owner)).length > 0) {
    await auditSignInFailure(owner, "locked", meta);
    throw await refuse();
  }
  const ssoOnly = await ssoOnlyRefusal(owner);
  if (ssoOnly) {
    await auditSignInFailure(owner, "sso_required", meta);
    throw new AppError("forbidden", ssoOnly);
  }
  const session = await createSession(owner, ["webauthn"], meta);
  return { userId: owner, sessionToken: session.token, sessionId: session.sessionId };
}
