import { hashPassword, passwordProblems, verifyPassword } from "../auth/password";
import { membershipsOf } from "../auth/principal";
import { auditEachOrg, type RequestMeta } from "../auth/sessions";
import { requireStepUp } from "../auth/step-up";
import { withUser } from "../db/tenant";
import { AppError } from "../errors";
import { queueSecurityNotice } from "../notifications/security-notices";
import type { SessionUser } from "../rbac/context";
import { signInByAccount } from "../security/rate-limit";
import { parseOr422 } from "../validation";
import { changePasswordSchema, updateProfileSchema } from "./schemas";

export async function updateProfile(user: SessionUser, input: unknown) {
  const body = parseOr422(updateProfileSchema, input);
  await withUser(user.userId, (tx) =>
    tx.user.update({ where: { id: user.userId }, data: { name: body.name, updatedAt: new Date() } }),
  );
  return { name: body.name };
}

/**
 * Changes the password: the current one (wrong guesses count toward the
 * account's sign-in throttle), a step-up when the person has a factor, and
 * every other session ends. Audited in each of the person's organizations.
 */
export async function changePassword(user: SessionUser, input: unknown, stepUpId: string | null, meta: RequestMeta) {
  const body = parseOr422(changePasswordSchema, input);
  const problem = passwordProblems(body.new_password);
  if (problem)
    throw new AppError("validation_failed", problem, { errors: [{ path: "new_password", message: problem }] });
  const throttle = await signInByAccount.check(user.email);
  if (throttle.limited) {
    throw new AppError(
      "rate_limited",
      `Too many wrong passwords. Try again in ${Math.ceil(throttle.retryAfterSeconds / 60)} minute(s).`,
      {
        headers: { "Retry-After": String(throttle.retryAfterSeconds) },
      },
    );
  }
  const current = await withUser(user.userId, (tx) =>
    tx.user.findUnique({ where: { id: user.userId }, select: { passwordHash: true } }),
  );
  if (!(await verifyPassword(current?.passwordHash, body.current_password))) {
    await signInByAccount.fail(user.email);
    throw new AppError("validation_failed", "Your current password is not correct", {
      errors: [{ path: "current_password", message: "Not correct" }],
    });
  }
  if (body.current_password === body.new_password) {
    throw new AppError("validation_failed", "Choose a password different from the current one", {
      errors: [{ path: "new_password", message: "Same as the current password" }],
    });
  }
  const hash = await hashPassword(body.new_password);
  const ids = (await membershipsOf(user.userId)).map((m) => m.org.id);
  return withUser(user.userId, async (tx) => {
    const stepUp = await requireStepUp(tx, user, stepUpId, {
      purpose: "password.change",
      targetId: user.userId,
      payloadHash: null,
    });
    await tx.user.update({ where: { id: user.userId }, data: { passwordHash: hash, updatedAt: new Date() } });
    const ended = await tx.session.updateMany({
      where: { userId: user.userId, revokedAt: null, id: { not: user.sessionId } },
      data: { revokedAt: new Date(), revokeReason: "password_changed" },
    });
    await auditEachOrg(tx, ids, {
      userId: user.userId,
      action: "auth.password_changed",
      sessionId: user.sessionId,
      ip: meta.ip,
      data: { other_sessions_ended: ended.count, step_up: stepUp?.method ?? null },
    });
    await queueSecurityNotice(tx, { to: user.email, kind: "password_changed", ip: meta.ip });
    return { other_sessions_ended: ended.count };
  });
}
