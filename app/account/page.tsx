import type { Metadata } from "next";
import Link from "next/link";
import { AccountView } from "@/components/account/account-view";
import { SignOutButton } from "@/components/sign-out-button";
import { factorSummary } from "@/lib/account/factors";
import { listSessions } from "@/lib/account/sessions";
import { mfaCompliance, mfaRequiredFor } from "@/lib/auth/mfa-policy";
import { mfaLockState } from "@/lib/auth/mfa-throttle";
import { currentMemberships, requireUser } from "@/lib/http/page";

export const metadata: Metadata = { title: "Your account" };

/**
 * Every signed-in person's own page: profile, password, factors, recovery
 * codes, sessions. Reachable even when an organization's MFA policy blocks
 * everything else (enrolling is what the person must do).
 */
export default async function AccountPage() {
  const user = await requireUser("/account");
  const [factors, sessions, lock, memberships] = await Promise.all([
    factorSummary(user.userId),
    listSessions(user),
    mfaLockState(user.userId),
    currentMemberships(user.userId),
  ]);
  const requirements = memberships
    .filter((m) => mfaRequiredFor(m))
    .map((m) => {
      const c = mfaCompliance(user, m);
      return {
        org: m.org.name,
        slug: m.org.slug,
        passkeysOnly: m.mfa.passkeysOnly,
        compliant: c.ok && c.grace === null,
        graceUntil: c.ok && c.grace ? c.grace.toISOString() : null,
      };
    });
  return (
    <main className="mx-auto max-w-3xl px-4 py-10">
      <div className="mb-6 flex items-center justify-between gap-4">
        <Link href="/" className="text-sm text-slate-600 hover:underline">
          ← Back to Warden
        </Link>
        <SignOutButton />
      </div>
      <AccountView
        user={{ id: user.userId, email: user.email, name: user.name }}
        currentMethods={user.authMethods}
        factors={JSON.parse(JSON.stringify(factors))}
        sessions={JSON.parse(JSON.stringify(sessions))}
        locked={lock.locked ? lock.retryAfterSeconds : null}
        requirements={requirements}
      />
    </main>
  );
}
