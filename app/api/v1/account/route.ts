import { factorSummary } from "@/lib/account/factors";
import { updateProfile } from "@/lib/account/profile";
import { updateProfileSchema } from "@/lib/account/schemas";
import { listSessions } from "@/lib/account/sessions";
import { mfaLockState } from "@/lib/auth/mfa-throttle";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** The signed-in person: profile, factors, recovery codes left, sessions, whether the second step is locked. */
export const GET = route({ signedIn: true }, async ({ user }) => {
  const [factors, sessions, lock] = await Promise.all([
    factorSummary(user.userId),
    listSessions(user),
    mfaLockState(user.userId),
  ]);
  return {
    body: {
      user: { id: user.userId, email: user.email, name: user.name },
      factors,
      sessions,
      mfa_locked: lock.locked ? { retry_after_seconds: lock.retryAfterSeconds } : null,
    },
  };
});

export const PATCH = route({ signedIn: true, body: updateProfileSchema }, async ({ user, body }) => ({
  body: await updateProfile(user, body),
}));

export const { POST, PUT, DELETE, OPTIONS } = otherMethods("GET", "PATCH");
