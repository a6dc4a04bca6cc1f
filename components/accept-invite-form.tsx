"use client";

import { signIn } from "next-auth/react";
import { useState } from "react";
import { api, describeError } from "./api-client";
import { Alert, Button, inputClass } from "./ui";

export function AcceptInviteForm({ token, email, orgSlug }: { token: string; email: string; orgSlug: string }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const password = String(form.get("password") ?? "");
    if (password !== String(form.get("confirm") ?? "")) {
      setError("The two passwords differ.");
      return;
    }
    setPending(true);
    setError(null);
    try {
      await api(null, "/api/v1/invitations/accept", {
        method: "POST",
        body: { token, name: form.get("name"), password },
      });
      const res = await signIn("credentials", { email, password, redirect: false });
      window.location.assign(res && !res.error ? `/${orgSlug}` : "/login");
    } catch (err) {
      setError(describeError(err));
      setPending(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      {error && <Alert>{error}</Alert>}
      <div>
        <label htmlFor="name" className="block text-sm font-medium text-slate-700">
          Your name
        </label>
        <input id="name" name="name" required maxLength={200} autoComplete="name" className={`${inputClass} mt-1`} />
      </div>
      <div>
        <label htmlFor="password" className="block text-sm font-medium text-slate-700">
          Password
        </label>
        <input
          id="password"
          name="password"
          type="password"
          required
          minLength={12}
          maxLength={256}
          autoComplete="new-password"
          className={`${inputClass} mt-1`}
        />
        <p className="mt-1 text-xs text-slate-500">At least 12 characters.</p>
      </div>
      <div>
        <label htmlFor="confirm" className="block text-sm font-medium text-slate-700">
          Repeat password
        </label>
        <input
          id="confirm"
          name="confirm"
          type="password"
          required
          autoComplete="new-password"
          className={`${inputClass} mt-1`}
        />
      </div>
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? "Setting up…" : "Create account and join"}
      </Button>
    </form>
  );
}
