"use client";

import { useState } from "react";
import { Alert, Button, inputClass } from "./ui";

/**
 * "Continue with SSO". A navigation, not a form submission: the start route
 * redirects to the identity provider, and the page's CSP (form-action 'self')
 * would block a form whose redirect leaves the site.
 */
export function SsoLoginForm({
  next,
  initialError,
  initialIdentifier = "",
}: {
  next: string;
  initialError?: string;
  initialIdentifier?: string;
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>(initialError);

  function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const identifier = String(new FormData(e.currentTarget).get("identifier") ?? "").trim();
    if (!identifier) {
      setError("Enter your work e-mail address or your organization's name.");
      return;
    }
    setPending(true);
    const q = new URLSearchParams({ identifier, next });
    // A full page navigation (the API answers with a redirect to the IdP), not a client-side route change.
    window.location.assign(new URL(`/api/sso/start?${q.toString()}`, window.location.origin).href);
  }

  return (
    <form
      onSubmit={onSubmit}
      aria-label="Single sign-on"
      className="mt-4 space-y-3 rounded-lg border border-slate-200 bg-white p-6 shadow-sm"
      noValidate
    >
      {error && <Alert>{error}</Alert>}
      <div>
        <label htmlFor="sso-identifier" className="block text-sm font-medium text-slate-700">
          Work e-mail or organization
        </label>
        <input
          id="sso-identifier"
          name="identifier"
          defaultValue={initialIdentifier}
          autoComplete="username"
          placeholder="you@company.com or acme"
          className={`${inputClass} mt-1`}
        />
      </div>
      <Button type="submit" variant="secondary" className="w-full" disabled={pending}>
        {pending ? "Redirecting to your identity provider…" : "Continue with SSO"}
      </Button>
    </form>
  );
}
