"use client";

import { useState } from "react";
import { api, describeError } from "./api-client";
import { SignOutButton } from "./sign-out-button";
import { stepUpHeaders, useStepUp, type BegunStepUp } from "./step-up";
import { Alert, Button } from "./ui";

const beginSessionStepUp = () =>
  api<BegunStepUp>(null, "/api/v1/account/step-up", { method: "POST", body: { purpose: "session.step_up" } });

/**
 * A session told to step up (e.g. a sign-in from a new address): confirm a
 * fresh second factor (POST /api/v1/session/step-up with a grant for
 * session.step_up), then continue where the person was going; or sign out.
 */
export function SessionStepUpForm({ next, hasFactor }: { next: string; hasFactor: boolean }) {
  const stepUp = useStepUp();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await stepUp.withStepUp(
        (stepUpId) => api(null, "/api/v1/session/step-up", { method: "POST", headers: stepUpHeaders(stepUpId) }),
        beginSessionStepUp,
      );
      window.location.assign(next);
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  }

  return (
    <div className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm" data-testid="session-step-up">
      <p className="text-sm text-slate-700">
        This sign-in came from an address not seen for your account before. Confirm it&apos;s you with your passkey or
        authenticator app to continue.
      </p>
      {error && <Alert>{error}</Alert>}
      {hasFactor ? (
        <Button className="w-full" onClick={() => void confirm()} disabled={busy}>
          {busy ? "Waiting…" : "Confirm it's you"}
        </Button>
      ) : (
        <Alert>You have no second factor to confirm with. Sign out and ask an admin of your organization.</Alert>
      )}
      <div className="flex justify-center">
        <SignOutButton />
      </div>
      {stepUp.dialog}
    </div>
  );
}
