"use client";

import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  WebAuthnAbortService,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/browser";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { api } from "./api-client";
import { Alert, Button, inputClass } from "./ui";

type PasskeyChallenge = { challenge_id: string; options: PublicKeyCredentialRequestOptionsJSON };

export function LoginForm({ next, initialError }: { next: string; initialError?: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | undefined>(initialError);
  const [pending, setPending] = useState<string | null>(null);

  async function finishWithPasskey(challengeId: string, response: AuthenticationResponseJSON) {
    setPending("passkey");
    setError(undefined);
    const res = await signIn("passkey", {
      assertion: JSON.stringify({ challenge_id: challengeId, response }),
      redirect: false,
    });
    if (!res || res.error) {
      setError(
        !res || !res.error || res.error === "CredentialsSignin" ? "That passkey could not sign you in" : res.error,
      );
      setPending(null);
      return;
    }
    router.replace(next);
    router.refresh();
  }

  // The browser's passkey autofill: passkeys are offered in the email field's suggestions.
  useEffect(() => {
    let cancelled = false;
    if (!browserSupportsWebAuthn()) return;
    void (async () => {
      if (!(await browserSupportsWebAuthnAutofill())) return;
      const ch = await api<PasskeyChallenge>(null, "/api/v1/session/passkey", { method: "POST" }).catch(() => null);
      if (!ch || cancelled) return;
      try {
        const response = await startAuthentication({ optionsJSON: ch.options, useBrowserAutofill: true });
        if (!cancelled) await finishWithPasskey(ch.challenge_id, response);
      } catch {
        // Cancelled, or replaced by an explicit passkey sign-in: nothing to say.
      }
    })();
    return () => {
      cancelled = true;
      WebAuthnAbortService.cancelCeremony();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per page
  }, []);

  async function passkeySignIn() {
    setPending("passkey");
    setError(undefined);
    try {
      const ch = await api<PasskeyChallenge>(null, "/api/v1/session/passkey", { method: "POST" });
      let response: AuthenticationResponseJSON;
      try {
        if (!browserSupportsWebAuthn()) throw new Error("unsupported");
        response = await startAuthentication({ optionsJSON: ch.options });
      } catch {
        setError("The passkey was not used (cancelled, or this browser cannot use passkeys).");
        setPending(null);
        return;
      }
      await finishWithPasskey(ch.challenge_id, response);
    } catch {
      setError("Could not reach Warden. Try again.");
      setPending(null);
    }
  }

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setPending("password");
    setError(undefined);
    try {
      const res = await signIn("credentials", {
        email: String(form.get("email") ?? ""),
        password: String(form.get("password") ?? ""),
        redirect: false,
      });
      if (!res || res.error) {
        setError(!res || !res.error || res.error === "CredentialsSignin" ? "Invalid email or password" : res.error);
        setPending(null);
        return;
      }
      // With a second factor the session only opens the second step, which this page renders.
      router.replace(`/login?next=${encodeURIComponent(next)}`);
      router.refresh();
    } catch {
      setError("Could not reach Warden. Try again.");
      setPending(null);
    }
  }

  return (
    <div className="space-y-4">
      <form onSubmit={onSubmit} className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        {error && <Alert>{error}</Alert>}
        <div>
          <label htmlFor="email" className="block text-sm font-medium text-slate-700">
            Email
          </label>
          <input
            id="email"
            name="email"
            type="email"
            autoComplete="username webauthn"
            required
            className={`${inputClass} mt-1`}
          />
        </div>
        <div>
          <label htmlFor="password" className="block text-sm font-medium text-slate-700">
            Password
          </label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            className={`${inputClass} mt-1`}
          />
        </div>
        <Button type="submit" className="w-full" disabled={pending !== null}>
          {pending === "password" ? "Signing in…" : "Sign in"}
        </Button>
      </form>
      <Button
        type="button"
        variant="secondary"
        className="w-full"
        onClick={() => void passkeySignIn()}
        disabled={pending !== null}
      >
        {pending === "passkey" ? "Waiting for your passkey…" : "Sign in with a passkey"}
      </Button>
    </div>
  );
}
