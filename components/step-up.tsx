"use client";

import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { api, ApiError, describeError } from "./api-client";
import { Dialog } from "./dialog";
import { Alert, Button, Field, fieldAria, inputClass } from "./ui";

/** What POST …/step-up answers (lib/auth/step-up.ts BegunStepUp). */
export type BegunStepUp = {
  step_up_id: string;
  purpose: string;
  expires_at: string;
  methods: string[];
  webauthn: PublicKeyCredentialRequestOptionsJSON | null;
};

export const STEP_UP_HEADER = "x-warden-step-up";

/** The header that presents a grant (none before the first try). */
export function stepUpHeaders(stepUpId: string | null): Record<string, string> | undefined {
  return stepUpId ? { [STEP_UP_HEADER]: stepUpId } : undefined;
}

/**
 * Opens a grant for an organization operation (keys.create,
 * keys.emergency_revoke, audit.export, org.mfa_policy; member.mfa_reset names
 * the member).
 */
export function beginOrgStepUp(org: string, purpose: string, targetId?: string): () => Promise<BegunStepUp> {
  return () =>
    api<BegunStepUp>(null, "/api/v1/account/step-up", {
      method: "POST",
      body: { purpose, org, ...(targetId ? { target_id: targetId } : {}) },
    });
}

const PURPOSE_LABEL: Record<string, string> = {
  "approval.decide": "this decision",
  "keys.create": "creating an API key",
  "keys.emergency_revoke": "the emergency revoke",
  "audit.export": "this export",
  "factors.change": "changing your sign-in factors",
  "org.mfa_policy": "changing the MFA policy",
  "password.change": "changing your password",
  "member.mfa_reset": "resetting this member's factors",
};

/**
 * Step-up from the browser. `withStepUp(call, begin)` runs the call; when the
 * API answers step_up_required it opens the dialog (begin() opens a grant
 * bound to the operation), lets the person confirm with a passkey, an
 * authenticator code or (except for approvals) a recovery code, and runs the
 * call again with the grant. Cancelling rejects with the original problem.
 */
export function useStepUp() {
  const [pending, setPending] = useState<{
    begin: () => Promise<BegunStepUp>;
    resolve: (id: string | null) => void;
  } | null>(null);

  function request(begin: () => Promise<BegunStepUp>): Promise<string | null> {
    return new Promise((resolve) => setPending({ begin, resolve }));
  }

  async function withStepUp<T>(
    call: (stepUpId: string | null) => Promise<T>,
    begin: () => Promise<BegunStepUp>,
  ): Promise<T> {
    try {
      return await call(null);
    } catch (e) {
      if (!(e instanceof ApiError) || e.problem.code !== "step_up_required") throw e;
      const id = await request(begin);
      if (!id) throw e;
      return call(id);
    }
  }

  const dialog: ReactNode = pending ? (
    <StepUpDialog
      begin={pending.begin}
      onDone={(id) => {
        pending.resolve(id);
        setPending(null);
      }}
      onCancel={() => {
        pending.resolve(null);
        setPending(null);
      }}
    />
  ) : null;

  return { withStepUp, request, dialog };
}

function StepUpDialog({
  begin,
  onDone,
  onCancel,
}: {
  begin: () => Promise<BegunStepUp>;
  onDone: (stepUpId: string) => void;
  onCancel: () => void;
}) {
  const [grant, setGrant] = useState<BegunStepUp | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [codeError, setCodeError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [useRecovery, setUseRecovery] = useState(false);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    begin()
      .then(setGrant)
      .catch((e: unknown) => setError(describeError(e)));
  }, [begin]);

  async function verify(body: unknown, key: string) {
    if (!grant) return;
    setBusy(key);
    setError(null);
    setCodeError(null);
    try {
      await api(null, `/api/v1/account/step-up/${grant.step_up_id}`, { method: "POST", body });
      onDone(grant.step_up_id);
    } catch (e) {
      const field = e instanceof ApiError ? e.problem.errors?.find((f) => f.path === "code")?.message : undefined;
      if (field) setCodeError(field);
      setError(describeError(e));
      if (e instanceof ApiError && e.problem.status === 404) setGrant(null);
    } finally {
      setBusy(null);
    }
  }

  async function confirmWithPasskey() {
    if (!grant?.webauthn) return;
    setBusy("passkey");
    setError(null);
    let response;
    try {
      response = await startAuthentication({ optionsJSON: grant.webauthn });
    } catch {
      setError("The passkey was not used (cancelled or not available on this device).");
      setBusy(null);
      return;
    }
    await verify({ method: "webauthn", response }, "passkey");
  }

  function onSubmitCode(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const code = String(new FormData(e.currentTarget).get("code") ?? "").trim();
    if (!code) {
      setCodeError("Enter a code");
      return;
    }
    void verify({ method: useRecovery ? "recovery_code" : "totp", code }, "code");
  }

  const label = grant ? (PURPOSE_LABEL[grant.purpose] ?? "this operation") : "this operation";
  const hasTotp = grant?.methods.includes("totp") ?? false;
  const hasRecovery = grant?.methods.includes("recovery_code") ?? false;
  const codeMode = useRecovery || hasTotp;

  return (
    <Dialog
      title="Confirm it's you"
      description={`A fresh second factor is needed for ${label}.`}
      onCancel={onCancel}
      testId="step-up-dialog"
    >
      {error && <Alert>{error}</Alert>}
      {!grant && !error && <p className="text-sm text-slate-600">Preparing…</p>}
      {grant && (
        <div className="mt-4 space-y-4">
          {grant.webauthn && (
            <Button
              type="button"
              className="w-full"
              onClick={() => void confirmWithPasskey()}
              disabled={busy !== null}
              data-autofocus
            >
              {busy === "passkey" ? "Waiting for your passkey…" : "Use a passkey"}
            </Button>
          )}
          {codeMode && (
            <form onSubmit={onSubmitCode} className="space-y-3" noValidate>
              <Field
                id="step-up-code"
                label={useRecovery ? "Recovery code" : "Code from your authenticator app"}
                error={codeError}
              >
                <input
                  id="step-up-code"
                  name="code"
                  className={inputClass}
                  inputMode={useRecovery ? "text" : "numeric"}
                  autoComplete="one-time-code"
                  maxLength={useRecovery ? 40 : 6}
                  data-autofocus={grant.webauthn ? undefined : true}
                  {...fieldAria("step-up-code", { error: codeError })}
                />
              </Field>
              <Button type="submit" variant={grant.webauthn ? "secondary" : "primary"} disabled={busy !== null}>
                {busy === "code" ? "Checking…" : "Confirm"}
              </Button>
            </form>
          )}
          {hasRecovery && (
            <button
              type="button"
              className="text-sm text-slate-600 underline"
              onClick={() => {
                setUseRecovery((v) => !v);
                setCodeError(null);
              }}
            >
              {useRecovery ? (hasTotp ? "Use your authenticator app instead" : "Back") : "Use a recovery code"}
            </button>
          )}
          {grant.purpose === "approval.decide" && (
            <p className="text-xs text-slate-500">Recovery codes cannot confirm an approval.</p>
          )}
        </div>
      )}
      <div className="mt-6 flex justify-end">
        <Button variant="secondary" type="button" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </Dialog>
  );
}
