import { failureCounter } from "../security/rate-limit";

/**
 * Brute-force throttling of second-factor codes, per person, across every
 * instance (the shared rate-limit store): 10 failures in 15 minutes lock the
 * second step for 15 minutes from the tenth. Sign-in, step-up and enrolment
 * codes all count. An admin can unlock (lib/members/unlock-member-mfa.ts).
 */
export const MFA_FAILURES_ALLOWED = 10;
export const MFA_LOCK_SECONDS = 15 * 60;

const failures = failureCounter({ keyPrefix: "mfa-fail", points: MFA_FAILURES_ALLOWED, durationSeconds: 15 * 60 });
const lock = failureCounter({ keyPrefix: "mfa-lock", points: 1, durationSeconds: MFA_LOCK_SECONDS });

export type MfaLockState = { locked: false } | { locked: true; retryAfterSeconds: number };

export async function mfaLockState(userId: string): Promise<MfaLockState> {
  const s = await lock.check(userId);
  return s.limited ? { locked: true, retryAfterSeconds: s.retryAfterSeconds } : { locked: false };
}

/** Records a failure; true when this failure locks the second step. */
export async function recordMfaFailure(userId: string): Promise<boolean> {
  await failures.fail(userId);
  const s = await failures.check(userId);
  if (!s.limited) return false;
  await failures.reset(userId);
  await lock.fail(userId);
  return true;
}

export async function clearMfaFailures(userId: string): Promise<void> {
  await failures.reset(userId);
}

export async function unlockMfa(userId: string): Promise<void> {
  await Promise.all([failures.reset(userId), lock.reset(userId)]);
}

export function lockedMessage(retryAfterSeconds: number): string {
  return `Too many wrong codes: the second step is locked for ${Math.max(1, Math.ceil(retryAfterSeconds / 60))} more minute(s). An admin of your organization can unlock it.`;
}
