import type { Metadata } from "next";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/login-form";
import { SecondFactorForm } from "@/components/second-factor-form";
import { SessionStepUpForm } from "@/components/session-step-up-form";
import { SsoLoginForm } from "@/components/sso-login-form";
import { sessionCookieName, sessionUserFromCookie } from "@/lib/auth/principal";
import { mfaLockState } from "@/lib/auth/mfa-throttle";
import { ssoErrorMessage } from "@/lib/sso/messages";
import { currentUser } from "@/lib/http/page";
import { safeNextPath } from "@/lib/http/safe-redirect";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const sp = await searchParams;
  const next = safeNextPath(typeof sp.next === "string" ? sp.next : undefined);
  // A signed-in person sent here because an organization is SSO-only stays, to continue with SSO.
  const ssoRequired = sp.sso_error === "sso_required";
  if (!ssoRequired && (await currentUser())) redirect(next);
  // A session that has passed the password but not the second factor: the second step.
  const pending = await sessionUserFromCookie((await cookies()).get(sessionCookieName())?.value, {
    allowMfaPending: true,
  });
  const lock = pending ? await mfaLockState(pending.userId) : null;
  // A session told to step up (an alert rule's require_step_up) confirms a fresh factor here.
  const mustStepUp = pending?.stepUpRequired === true;
  const error = typeof sp.error === "string" ? sp.error : undefined;
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm">
        <div className="mb-8 text-center">
          <div className="mx-auto mb-3 flex h-10 w-10 items-center justify-center rounded-lg bg-slate-900 text-lg font-bold text-white">
            W
          </div>
          <h1 className="text-xl font-semibold">{pending ? "Confirm it's you" : "Sign in to Warden"}</h1>
          <p className="mt-1 text-sm text-slate-600">
            {pending ? `Second step for ${pending.email}` : "The control plane for your agents' actions"}
          </p>
        </div>
        {pending && mustStepUp ? (
          <SessionStepUpForm next={next} hasFactor={pending.factors.length > 0} />
        ) : pending ? (
          <SecondFactorForm
            next={next}
            factors={pending.factors}
            lockedSeconds={lock?.locked ? lock.retryAfterSeconds : null}
          />
        ) : (
          <>
            <LoginForm
              next={next}
              initialError={error === "CredentialsSignin" ? "Invalid email or password" : undefined}
            />
            <SsoLoginForm
              next={next}
              initialError={ssoErrorMessage(typeof sp.sso_error === "string" ? sp.sso_error : undefined)}
              initialIdentifier={typeof sp.org === "string" && /^[a-z0-9-]{1,40}$/.test(sp.org) ? sp.org : ""}
            />
          </>
        )}
      </div>
    </main>
  );
}
