"use client";

import { useState } from "react";
import { api } from "../api-client";
import { beginOrgStepUp, stepUpHeaders, useStepUp } from "../step-up";
import { useMutation } from "../use-mutation";
import { Alert, Button, Card, Field, cx, fieldAria, formatUtc, inputClass } from "../ui";

/** What GET/PUT /api/v1/org/mfa-policy answer (lib/auth/org-mfa-policy.ts MfaPolicyView). */
export type MfaPolicy = {
  mfa_policy: "off" | "privileged" | "everyone";
  passkeys_only: boolean;
  grace_until: string | null;
  step_up_approvals: "every" | "high" | "none";
};

const POLICIES: { value: MfaPolicy["mfa_policy"]; label: string; hint: string }[] = [
  { value: "off", label: "Not required", hint: "People choose whether to add a second factor." },
  {
    value: "privileged",
    label: "Required for admins and approvers",
    hint: "Those who change settings or approve actions must sign in with a second factor.",
  },
  { value: "everyone", label: "Required for everyone", hint: "Every member must sign in with a second factor." },
];

const STEP_UP: { value: MfaPolicy["step_up_approvals"]; label: string }[] = [
  { value: "high", label: "High and critical risk (recommended)" },
  { value: "every", label: "Every approval" },
  { value: "none", label: "None" },
];

function graceDaysLeft(graceUntil: string | null): number {
  if (!graceUntil) return 0;
  const days = Math.ceil((new Date(graceUntil).getTime() - Date.now()) / 86_400_000);
  return Math.min(30, Math.max(0, days));
}

/**
 * The organization's MFA policy (PUT /api/v1/org/mfa-policy): the admin's
 * step-up (org.mfa_policy) is asked for when they have a factor; the API
 * refuses a policy the admin's own session does not meet.
 */
export function MfaPolicyForm({
  org,
  policy,
  membersWithoutFactor,
}: {
  org: string;
  policy: MfaPolicy;
  membersWithoutFactor: number;
}) {
  const [current, setCurrent] = useState(policy);
  const [now] = useState(() => Date.now());
  const [mode, setMode] = useState(policy.mfa_policy);
  const [passkeysOnly, setPasskeysOnly] = useState(policy.passkeys_only);
  const [grace, setGrace] = useState(String(graceDaysLeft(policy.grace_until)));
  const [stepUpApprovals, setStepUpApprovals] = useState(policy.step_up_approvals);
  const { error, notice, pending, fieldErrors: errors, run, setNotice } = useMutation();
  const stepUp = useStepUp();

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const body = {
      mfa_policy: mode,
      passkeys_only: mode === "off" ? false : passkeysOnly,
      grace_days: mode === "off" || grace.trim() === "" ? 0 : Number(grace),
      step_up_approvals: stepUpApprovals,
    };
    await run(
      "mfa",
      async () => {
        const saved = await stepUp.withStepUp(
          (stepUpId) =>
            api<MfaPolicy>(org, "/api/v1/org/mfa-policy", { method: "PUT", body, headers: stepUpHeaders(stepUpId) }),
          beginOrgStepUp(org, "org.mfa_policy"),
        );
        setCurrent(saved);
        setNotice("MFA policy saved. It applies to every member's next request; the change is in the audit trail.");
      },
      { fields: /^(mfa_policy|passkeys_only|grace_days|step_up_approvals)$/ },
    );
  }

  const graceErr = errors.grace_days;
  return (
    <>
      <form onSubmit={onSubmit} aria-label="MFA policy" noValidate>
        <Card title="Multi-factor authentication">
          {error && <Alert>{error}</Alert>}
          {notice && (
            <Alert tone="green" role="status">
              {notice}
            </Alert>
          )}
          <fieldset className="mt-2">
            <legend className="text-sm font-medium text-slate-700">Second factor at sign-in</legend>
            <div className="mt-2 space-y-2">
              {POLICIES.map((p) => (
                <label key={p.value} className="flex items-start gap-2 text-sm">
                  <input
                    type="radio"
                    name="mfa_policy"
                    value={p.value}
                    checked={mode === p.value}
                    onChange={() => setMode(p.value)}
                    className="mt-1"
                  />
                  <span>
                    <span className="font-medium text-slate-900">{p.label}</span>
                    <span className="block text-slate-600">{p.hint}</span>
                  </span>
                </label>
              ))}
            </div>
          </fieldset>
          {mode !== "off" && (
            <div className="mt-4 grid gap-4 md:grid-cols-2">
              <label className="flex items-start gap-2 text-sm">
                <input
                  type="checkbox"
                  name="passkeys_only"
                  checked={passkeysOnly}
                  onChange={(e) => setPasskeysOnly(e.target.checked)}
                  className="mt-1"
                />
                <span>
                  <span className="font-medium text-slate-900">Passkeys only</span>
                  <span className="block text-slate-600">
                    Phishing-resistant: authenticator-app codes and recovery codes no longer count.
                  </span>
                </span>
              </label>
              <Field
                id="mfa-grace"
                label="Grace period (days)"
                hint="Members without a second factor keep working this long (0 to 30). 0: from their next request."
                error={graceErr}
              >
                <input
                  id="mfa-grace"
                  type="number"
                  min={0}
                  max={30}
                  value={grace}
                  onChange={(e) => setGrace(e.target.value)}
                  className={cx(inputClass, "max-w-xs")}
                  {...fieldAria("mfa-grace", { hint: true, error: graceErr })}
                />
              </Field>
            </div>
          )}
          <Field
            id="mfa-step-up"
            label="Fresh second factor to approve or reject"
            hint="Asked from approvers who have a factor; a passkey's signature then proves the decision in the proof pack."
            error={errors.step_up_approvals}
            className="mt-4"
          >
            <select
              id="mfa-step-up"
              value={stepUpApprovals}
              onChange={(e) => setStepUpApprovals(e.target.value as MfaPolicy["step_up_approvals"])}
              className={cx(inputClass, "max-w-md")}
              {...fieldAria("mfa-step-up", { hint: true, error: errors.step_up_approvals })}
            >
              {STEP_UP.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </Field>
          <p className="mt-4 text-sm text-slate-600" data-testid="mfa-policy-status">
            Now: {POLICIES.find((p) => p.value === current.mfa_policy)?.label ?? current.mfa_policy}
            {current.mfa_policy !== "off" && current.passkeys_only ? ", passkeys only" : ""}
            {current.grace_until && new Date(current.grace_until).getTime() > now
              ? `, grace period until ${formatUtc(current.grace_until)}`
              : ""}
            .{" "}
            {membersWithoutFactor === 0
              ? "Every member has a second factor."
              : `${membersWithoutFactor} member${membersWithoutFactor === 1 ? " has" : "s have"} no second factor yet.`}
          </p>
          <p className="mt-1 text-xs text-slate-500">
            Saving asks you to confirm with your own second factor. You cannot require what your own session does not
            meet: set up a factor (or a passkey) and sign in with it first.
          </p>
          <div className="mt-4">
            <Button type="submit" disabled={pending}>
              {pending ? "Saving…" : "Save MFA policy"}
            </Button>
          </div>
        </Card>
      </form>
      {stepUp.dialog}
    </>
  );
}
