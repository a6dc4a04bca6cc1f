"use client";

import { useState } from "react";
import { api } from "../api-client";
import { beginOrgStepUp, stepUpHeaders, useStepUp } from "../step-up";
import { useMutation } from "../use-mutation";
import { Alert, Button, Card, Field, fieldAria, inputClass } from "../ui";

/** Revokes every key of the organization; the admin types the organization's slug to confirm. */
export function EmergencyRevoke({ org, onDone }: { org: string; onDone: (revoked: number) => void }) {
  const [reason, setReason] = useState("");
  const [confirm, setConfirm] = useState("");
  const { error, pending, fieldErrors, run } = useMutation({ refresh: false });
  const stepUp = useStepUp();
  const ready = reason.trim().length >= 3 && confirm === org;

  return (
    <Card title="Emergency revoke" className="border-red-200">
      <p className="text-sm text-slate-600">
        Revokes <strong>every</strong> API key of this organization at once, for example after a leak. Agents stop
        working until they get new keys. Other organizations are not affected.
      </p>
      <form
        className="mt-4 space-y-3"
        aria-label="Emergency revoke"
        onSubmit={async (e) => {
          e.preventDefault();
          if (!ready) return;
          const res = await run(
            "revoke-all",
            () =>
              stepUp.withStepUp(
                (stepUpId) =>
                  api<{ revoked_count: number }>(org, "/api/v1/auth/emergency-revoke", {
                    method: "POST",
                    body: { reason },
                    headers: stepUpHeaders(stepUpId),
                  }),
                beginOrgStepUp(org, "keys.emergency_revoke"),
              ),
            { fields: /^reason$/ },
          );
          if (!res) return;
          setReason("");
          setConfirm("");
          onDone(res.revoked_count);
        }}
      >
        {error && <Alert>{error}</Alert>}
        <Field id="er-reason" label="Reason (recorded in the audit trail)" error={fieldErrors.reason}>
          <input
            id="er-reason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            maxLength={500}
            className={inputClass}
            {...fieldAria("er-reason", { error: fieldErrors.reason })}
          />
        </Field>
        <div>
          <label htmlFor="er-confirm" className="block text-sm font-medium text-slate-700">
            Type <span className="font-mono">{org}</span> to confirm
          </label>
          <input
            id="er-confirm"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            autoComplete="off"
            className={`${inputClass} mt-1 font-mono`}
          />
        </div>
        <Button type="submit" variant="danger" disabled={!ready || pending}>
          {pending ? "Revoking…" : "Revoke all keys"}
        </Button>
      </form>
      {stepUp.dialog}
    </Card>
  );
}
