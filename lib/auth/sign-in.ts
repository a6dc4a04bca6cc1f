import { z } from "zod";
import { lookupUserByEmail, lookupUserLocks } from "../db/lookup";
import { AppError } from "../errors";
import { log } from "../log";
import { sha256Hex } from "../security/hash";
import { signInByAccount, signInByIp } from "../security/rate-limit";
import { PASSWORD_MAX_LENGTH, verifyPassword } from "./password";
import { ssoOnlyRefusal } from "./break-glass";
import { hasSecondFactor } from "./second-factor";
import { auditSignInFailure, createSession, type RequestMeta } from "./sessions";

export const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().min(3).max(320),
  password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
});

export type SignInResult = { userId: string; sessionToken: string; sessionId: string; mfaPending: boolean };

/**
 * Email + password sign-in. Failures are throttled per account and per client
 * address (only failures count), audited in the user's organizations when the
 * account exists, and indistinguishable to the caller: unknown email and wrong
 * password give the same error after the same argon2 work.
 */
export async function signInWithPassword(input: unknown, meta: RequestMeta): Promise<SignInResult> {
  const parsed = credentialsSchema.safeParse(input);
  if (!parsed.success) throw new AppError("unauthenticated", "Invalid email or password");
  const { email, password } = parsed.data;
  const ipKey = meta.ip ?? "unknown";

  const [acct, ip] = await Promise.all([signInByAccount.check(email), signInByIp.check(ipKey)]);
  const user = await lookupUserByEmail(email);
  if (acct.limited || ip.limited) {
    if (user) await auditSignInFailure(user.id, "rate_limited", meta);
    const retry = Math.max(acct.limited ? acct.retryAfterSeconds : 0, ip.limited ? ip.retryAfterSeconds : 0);
    throw new AppError(
      "rate_limited",
      `Too many failed sign-in attempts. Try again in ${Math.ceil(retry / 60)} minute(s).`,
      {
        headers: { "Retry-After": String(retry) },
      },
    );
  }

  const ok = await verifyPassword(user?.password_hash, password);
  // An account locked by an alert response (lock_user) is refused like a wrong
  // password, after the same work: the answer tells nobody the lock exists.
  const locked = ok && user ? (await lookupUserLocks(user.id)).length > 0 : false;
  if (locked && user) {
    await auditSignInFailure(user.id, "locked", meta);
    throw new AppError("unauthenticated", "Invalid email or password");
  }
  if (!ok || !user) {
    await Promise.all([signInByAccount.fail(email), signInByIp.fail(ipKey)]);
    if (user) {
      await auditSignInFailure(user.id, "bad_credentials", meta);
    } else {
      log().warn({ emailHash: sha256Hex(email).slice(0, 16), ip: meta.ip }, "sign-in failed for unknown account");
    }
    throw new AppError("unauthenticated", "Invalid email or password");
  }

  await signInByAccount.reset(email);
  const ssoOnly = await ssoOnlyRefusal(user.id);
  if (ssoOnly) {
    await auditSignInFailure(user.id, "sso_required", meta);
    throw new AppError("forbidden", ssoOnly);
  }
  // With a second factor, the session only opens the second step (second-factor.ts).
  const mfaPending = await hasSecondFactor(user.id);
  const session = await createSession(user.id, ["pwd"], meta, { mfaPending });
  return { userId: user.id, sessionToken: session.token, sessionId: session.sessionId, mfaPending };
}
