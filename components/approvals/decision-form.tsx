"use client";

import { useId, useState } from "react";
import { api } from "../api-client";
import { STEP_UP_HEADER, useStepUp, type BegunStepUp } from "../step-up";
import { invalid, useMutation } from "../use-mutation";
import { Alert, Button, inputClass } from "../ui";

export type DecisionResult = {
  approval: { id: string; status: string; required: number; approvals: number };
  action: { id: string; status: string };
};

function outcome(decision: "approved" | "rejected", r: DecisionResult): string {
  if (decision === "rejected") return "You rejected the action. The agent is told it may not proceed.";
  if (r.approval.status === "approved")
    return `You approved. Quorum reached (${r.approval.approvals} of ${r.approval.required}): the action is approved.`;
  const left = r.approval.required - r.approval.approvals;
  return `You approved (${r.approval.approvals} of ${r.approval.required}). Waiting for ${left} more approver${left === 1 ? "" : "s"}.`;
}

/**
 * Approve or reject one pending action with a reason. The payload hash the
 * person reviewed goes with the decision, so Warden refuses it if the action
 * is not that payload.
 */
export function DecisionForm({
  org,
  approvalId,
  payloadHash,
  subject,
  onDecided,
}: {
  org: string;
  approvalId: string;
  payloadHash: string;
  /** Names the action in the controls' accessible names ("Approve payments.create_payment"). */
  subject: string;
  onDecided: (message: string) => void;
}) {
  const id = useId();
  const [reason, setReason] = useState("");
  const { error, busy, fieldErrors, run } = useMutation({ refresh: false });
  const stepUp = useStepUp();
  const fieldError = fieldErrors.reason;

  async function decide(decision: "approved" | "rejected") {
    const r = await run(
      decision,
      async () => {
        if (reason.trim() === "") {
          throw invalid(
            { reason: "Give a reason: it is recorded with your decision in the audit trail." },
            "Your decision needs a reason.",
          );
        }
        // High-risk decisions need a fresh second factor bound to this approval and payload.
        return stepUp.withStepUp(
          (stepUpId) =>
            api<DecisionResult>(
              org,
              `/api/v1/approvals/${approvalId}/${decision === "approved" ? "approve" : "reject"}`,
              {
                method: "POST",
                body: { reason: reason.trim(), payload_hash: payloadHash },
                headers: stepUpId ? { [STEP_UP_HEADER]: stepUpId } : undefined,
              },
            ),
          () => api<BegunStepUp>(org, `/api/v1/approvals/${approvalId}/step-up`, { method: "POST" }),
        );
      },
      { fields: /^reason$/ },
    );
    if (!r) return;
    setReason("");
    onDecided(outcome(decision, r));
  }

  const reasonId = `${id}-reason`;
  return (
    <form
      className="space-y-2"
      aria-label={`Decide on ${subject}`}
      onSubmit={(e) => {
        e.preventDefault();
      }}
    >
      {error && <Alert>{error}</Alert>}
      {stepUp.dialog}
      <label htmlFor={reasonId} className="block text-sm font-medium text-slate-700">
        Reason (required, recorded in the audit trail)
      </label>
      <textarea
        id={reasonId}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        rows={2}
        maxLength={1000}
        aria-invalid={fieldError ? true : undefined}
        aria-describedby={fieldError ? `${reasonId}-error` : undefined}
        className={inputClass}
        placeholder="Why you approve or reject this"
      />
      {fieldError && (
        <p id={`${reasonId}-error`} className="text-xs font-medium text-red-700">
          {fieldError}
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <Button
          type="button"
          onClick={() => decide("approved")}
          disabled={busy !== null}
          aria-label={`Approve ${subject}`}
        >
          {busy === "approved" ? "Approving…" : "Approve"}
        </Button>
        <Button
          type="button"
          variant="danger"
          onClick={() => decide("rejected")}
          disabled={busy !== null}
          aria-label={`Reject ${subject}`}
        >
          {busy === "rejected" ? "Rejecting…" : "Reject"}
        </Button>
      </div>
    </form>
  );
}
