"use client";

import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";
import { useState } from "react";
import { api, ApiError, describeError } from "./api-client";
import { Alert, Button, Field, fieldAria, inputClass } from "./ui";

type Options = {
  methods: string[];
  webauthn: { challenge_id: string; options: PublicKeyCredentialRequestOptionsJSON } | null;
  locked: { retry_after_seconds: number } | null;
};

/**
 * The second step of sign-in: a passkey, a code from the authenticator app, or
 * a recovery code. On success the server swaps the session cookie for a
 * complete session's, and the page loads where the person was going.
 */
export function SecondFactorForm({
  next,
  factors,
  lockedSeconds,
}: {
  next: string;
  factors: string[];
  lockedSeconds: number | null;
}) {
  const [mode, setMode] = useState<"totp" | "recovery_code">(factors.includes("totp") ? "totp" : "recovery_code");
  const [error, setError] = useState<string | null>(
    lockedSeconds
      ? `Too many wrong codes: try again in ${Math.ceil(lockedSeconds / 60)} minute(s), or ask an admin to unlock it.`
      : null,
  );
  const [codeError, setCodeError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  function done(left: number | null, low: boolean) {
    if (low) {
      setNotice(`Signed in. Only ${left} recovery code(s) left: generate new ones on your account page.`);
      window.setTimeout(() => window.location.assign(next), 2500);
      return;
    }
    // A full load: the server renders the signed-in app with the new cookie.
    window.location.assign(next);
  }

  async function submit(body: unknown, key: string) {
    setBusy(key);
    setError(null);
    setCodeError(null);
    try {
      const r = await api<{ recovery_codes_left: number | null; recovery_codes_low: boolean }>(
        null,
        "/api/v1/session/second-factor",
        {
          method: "POST",
          body,
        },
      );
      done(r.recovery_codes_left, r.recovery_codes_low);
    } catch (e) {
      if (e instanceof ApiError && (e.problem.code === "mfa_required" || e.problem.status === 401)) {
        setError(`${e.problem.detail}`);
        window.setTimeout(
          // eslint-disable-next-line @next/next/no-location-assign-relative-destination -- a full load drops the ended session
          () => window.location.assign(`/login?next=${encodeURIComponent(next)}`),
          2500,
        );
      } else {
        const field = e instanceof ApiError ? e.problem.errors?.find((f) => f.path === "code")?.message : undefined;
        if (field) setCodeError(field);
        setError(describeError(e));
      }
      setBusy(null);
    }
  }

  async function passkey() {
    setBusy("passkey");
    setError(null);
    try {
      const opts = await api<Options>(null, "/api/v1/session/second-factor");
      if (!opts.webauthn) throw new Error("no passkey");
      let response;
      try {
        response = await startAuthentication({ optionsJSON: opts.webauthn.options });
      } catch {
        setError("The passkey was not used (cancelled or not available on this device).");
        setBusy(null);
        return;
      }
      await submit({ method: "webauthn", challenge_id: opts.webauthn.challenge_id, response }, "passkey");
    } catch (e) {
      setError(describeError(e));
      setBusy(null);
    }
  }

  return (
    <div className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      {error && <Alert>{error}</Alert>}
      {notice && (
        <Alert tone="amber" role="status">
          {notice}
        </Alert>
      )}
      {factors.includes("webauthn") && (
        <Button type="button" className="w-full" onClick={() => void passkey()} disabled={busy !== null}>
          {busy === "passkey" ? "Waiting for your passkey…" : "Use a passkey"}
        </Button>
      )}
      <form
        className="space-y-3"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const code = String(new FormData(e.currentTarget).get("code") ?? "").trim();
          if (!code) {
            setCodeError("Enter a code");
            return;
          }
          void submit({ method: mode, code }, "code");
        }}
      >
        <Field
          id="second-factor-code"
          label={mode === "totp" ? "Code from your authenticator app" : "Recovery code"}
          error={codeError}
        >
          <input
            id="second-factor-code"
            name="code"
            key={mode}
            className={inputClass}
            inputMode={mode === "totp" ? "numeric" : "text"}
            autoComplete="one-time-code"
            maxLength={mode === "totp" ? 6 : 40}
            autoFocus
            {...fieldAria("second-factor-code", { error: codeError })}
          />
        </Field>
        <Button
          type="submit"
          className="w-full"
          variant={factors.includes("webauthn") ? "secondary" : "primary"}
          disabled={busy !== null}
        >
          {busy === "code" ? "Checking…" : "Continue"}
        </Button>
      </form>
      <div className="flex flex-wrap justify-between gap-2 text-sm">
        {factors.includes("totp") && (
          <button
            type="button"
            className="text-slate-600 underline"
            onClick={() => {
              setMode(mode === "totp" ? "recovery_code" : "totp");
              setCodeError(null);
            }}
          >
            {mode === "totp" ? "Use a recovery code" : "Use your authenticator app"}
          </button>
        )}
        <button
          type="button"
          className="text-slate-600 underline"
          onClick={() => {
            void api(null, "/api/v1/session", { method: "DELETE" })
              .catch(() => undefined)
              // eslint-disable-next-line @next/next/no-location-assign-relative-destination
              .finally(() => window.location.assign("/login"));
          }}
        >
          Sign in as someone else
        </button>
      </div>
    </div>
  );
}
