"use client";

import { useState } from "react";
import { api } from "../api-client";
import { useMutation } from "../use-mutation";
import { ConfirmDialog } from "../dialog";
import { beginOrgStepUp, stepUpHeaders, useStepUp } from "../step-up";
import { Table } from "../table";
import { Alert, Badge, Button, Card, Field, fieldAria, formatUtc, inputClass } from "../ui";

type Role = "admin" | "approver" | "auditor" | "viewer";
const ROLES: { value: Role; label: string; hint: string }[] = [
  { value: "admin", label: "Admin", hint: "everything, including members, keys and settings" },
  { value: "approver", label: "Approver", hint: "approves or rejects pending actions" },
  { value: "auditor", label: "Auditor", hint: "reads and exports the audit trail" },
  { value: "viewer", label: "Viewer", hint: "sees the dashboard" },
];

export type Member = {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  status: "active" | "invited";
  invitation_expires_at: string | null;
  joined_at: string;
  api_keys: number;
  factors: {
    totp: boolean;
    passkeys: number;
    recovery_codes_left: number;
    second_step_locked_seconds: number | null;
  } | null;
};

function hasFactor(m: Member): boolean {
  return !!m.factors && (m.factors.totp || m.factors.passkeys > 0 || m.factors.recovery_codes_left > 0);
}

/** A member's second factors as types and counts (never anything secret). */
function FactorsCell({ m }: { m: Member }) {
  const f = m.factors;
  if (!f) return <span className="text-slate-400">—</span>;
  return (
    <div className="flex flex-wrap items-center gap-1" data-testid={`factors-${m.email}`}>
      {f.totp && <Badge tone="green">Authenticator app</Badge>}
      {f.passkeys > 0 && <Badge tone="green">{f.passkeys === 1 ? "1 passkey" : `${f.passkeys} passkeys`}</Badge>}
      {f.recovery_codes_left > 0 && (
        <Badge tone={f.recovery_codes_left <= 3 ? "amber" : "slate"}>
          {f.recovery_codes_left} recovery code{f.recovery_codes_left === 1 ? "" : "s"} left
        </Badge>
      )}
      {!f.totp && f.passkeys === 0 && <span className="text-slate-500">No second factor</span>}
      {f.second_step_locked_seconds !== null && (
        <Badge tone="red">Second step locked ({Math.max(1, Math.ceil(f.second_step_locked_seconds / 60))} min)</Badge>
      )}
    </div>
  );
}

type EmailStatus = "sent" | "failed" | "not_configured";
type Invitation = { email: string; path: string; expires_at: string; email_status?: EmailStatus };

export function MembersManager({
  org,
  members,
  canWrite,
  currentUserId,
}: {
  org: string;
  members: Member[];
  canWrite: boolean;
  currentUserId: string;
}) {
  const { error, notice, busy, fieldErrors, run, setNotice } = useMutation();
  const [invitation, setInvitation] = useState<Invitation | null>(null);
  const [confirmRemove, setConfirmRemove] = useState<Member | null>(null);
  const [confirmReset, setConfirmReset] = useState<Member | null>(null);
  const stepUp = useStepUp();

  async function onAdd(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const email = String(form.get("email") ?? "");
    await run(
      "add",
      async () => {
        const res = await api<{
          member: { email: string; status: string };
          invitation: { path: string; expires_at: string; email_status?: EmailStatus } | null;
        }>(org, "/api/v1/members", { method: "POST", body: { email, role: form.get("role") } });
        formEl.reset();
        if (res.invitation) setInvitation({ email: res.member.email, ...res.invitation });
        else setNotice(`${res.member.email} was added.`);
      },
      { fields: /^(email|role)$/ },
    );
  }

  return (
    <div className="space-y-6">
      {error && <Alert>{error}</Alert>}
      {notice && (
        <Alert tone="green" role="status">
          {notice}
        </Alert>
      )}
      {invitation && <InvitationLink invitation={invitation} onDismiss={() => setInvitation(null)} />}

      {canWrite && (
        <Card title="Add a member">
          <form onSubmit={onAdd} className="flex flex-wrap items-end gap-3" aria-label="Add a member">
            <Field id="new-email" label="Email" error={fieldErrors.email} className="min-w-0 flex-1 sm:min-w-64">
              <input
                id="new-email"
                name="email"
                type="email"
                required
                maxLength={320}
                className={inputClass}
                placeholder="person@example.com"
                {...fieldAria("new-email", { error: fieldErrors.email })}
              />
            </Field>
            <Field id="new-role" label="Role" error={fieldErrors.role}>
              <select
                id="new-role"
                name="role"
                defaultValue="viewer"
                className={inputClass}
                {...fieldAria("new-role", { error: fieldErrors.role })}
              >
                {ROLES.map((r) => (
                  <option key={r.value} value={r.value}>
                    {r.label}
                  </option>
                ))}
              </select>
            </Field>
            <Button type="submit" disabled={busy === "add"}>
              {busy === "add" ? "Adding…" : "Add member"}
            </Button>
          </form>
          <p className="mt-3 text-xs text-slate-500">{ROLES.map((r) => `${r.label}: ${r.hint}`).join(" · ")}</p>
        </Card>
      )}

      <Card title={`${members.length} member${members.length === 1 ? "" : "s"}`}>
        <Table
          rows={members}
          rowKey={(m) => m.user_id}
          rowProps={(m) => ({ "data-testid": `member-${m.email}` })}
          label="Members"
          testId="members-table"
          columns={[
            {
              header: "Member",
              cell: (m) => (
                <>
                  <div className="font-medium text-slate-900">{m.name || m.email}</div>
                  {m.name && <div className="break-all text-slate-500">{m.email}</div>}
                </>
              ),
            },
            {
              header: "Role",
              cell: (m) => (
                <>
                  {canWrite ? (
                    <select
                      aria-label={`Role of ${m.email}`}
                      value={m.role}
                      disabled={busy !== null}
                      onChange={(e) => {
                        const role = e.target.value;
                        void run(`role-${m.user_id}`, async () => {
                          await api(org, `/api/v1/members/${m.user_id}`, { method: "PATCH", body: { role } });
                          setNotice(
                            m.role === "admin" && role !== "admin" && m.api_keys > 0
                              ? `${m.email} is now ${role}. Their API keys now act only within the ${role} role; scopes beyond it are suspended.`
                              : `${m.email} is now ${role}.`,
                          );
                        });
                      }}
                      className="rounded-md border-0 py-1 pr-8 pl-2 text-sm ring-1 ring-slate-300 ring-inset"
                    >
                      {ROLES.map((r) => (
                        <option key={r.value} value={r.value}>
                          {r.label}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <span className="capitalize">{m.role}</span>
                  )}
                  {busy === `role-${m.user_id}` && <span className="ml-2 text-xs text-slate-500">saving…</span>}
                </>
              ),
            },
            {
              header: "Status",
              cell: (m) => (
                <>
                  {m.status === "active" ? (
                    <Badge tone="green">Active</Badge>
                  ) : (
                    <span
                      title={
                        m.invitation_expires_at ? `Link expires ${formatUtc(m.invitation_expires_at)}` : "No valid link"
                      }
                    >
                      <Badge tone="amber">Invited</Badge>
                    </span>
                  )}
                  {m.user_id === currentUserId && <span className="ml-2 text-xs text-slate-500">(you)</span>}
                </>
              ),
            },
            {
              header: "Sign-in factors",
              cell: (m) => <FactorsCell m={m} />,
            },
            canWrite && {
              header: "Actions",
              align: "right",
              className: "sm:whitespace-nowrap",
              cell: (m) => (
                <>
                  {m.status === "invited" && (
                    <Button
                      variant="ghost"
                      disabled={busy !== null}
                      onClick={() =>
                        run(`link-${m.user_id}`, async () => {
                          const res = await api<{ path: string; expires_at: string; email_status?: EmailStatus }>(
                            org,
                            `/api/v1/members/${m.user_id}/invitation`,
                            { method: "POST" },
                          );
                          setInvitation({ email: m.email, ...res });
                        })
                      }
                    >
                      New link
                    </Button>
                  )}
                  {m.factors?.second_step_locked_seconds != null && (
                    <Button
                      variant="ghost"
                      disabled={busy !== null}
                      onClick={() =>
                        run(`unlock-${m.user_id}`, async () => {
                          await api(org, `/api/v1/members/${m.user_id}/mfa-lock`, { method: "DELETE" });
                          setNotice(`${m.email} can try their second step again.`);
                        })
                      }
                    >
                      Unlock second step
                    </Button>
                  )}
                  {hasFactor(m) && m.user_id !== currentUserId && (
                    <Button variant="ghost" disabled={busy !== null} onClick={() => setConfirmReset(m)}>
                      Reset factors
                    </Button>
                  )}
                  <Button
                    variant="ghost"
                    className="text-red-700"
                    disabled={busy !== null}
                    onClick={() => setConfirmRemove(m)}
                  >
                    Remove
                  </Button>
                </>
              ),
            },
          ]}
        />
      </Card>

      {confirmReset && (
        <ConfirmDialog
          title={`Reset the sign-in factors of ${confirmReset.email}?`}
          confirmLabel="Reset factors"
          tone="danger"
          pending={busy !== null}
          onCancel={() => setConfirmReset(null)}
          onConfirm={() => {
            const m = confirmReset;
            setConfirmReset(null);
            void run(`reset-${m.user_id}`, async () => {
              const r = await stepUp.withStepUp(
                (stepUpId) =>
                  api<{ sessions_ended: number }>(org, `/api/v1/members/${m.user_id}/mfa-reset`, {
                    method: "POST",
                    headers: stepUpHeaders(stepUpId),
                  }),
                beginOrgStepUp(org, "member.mfa_reset", m.user_id),
              );
              setNotice(
                `The factors of ${m.email} were removed and ${r.sessions_ended} session${r.sessions_ended === 1 ? "" : "s"} ended. They sign in with their password and set up a new factor.`,
              );
            });
          }}
        >
          <p className="text-sm text-slate-600">
            Their authenticator app, passkeys and recovery codes are removed and every session of theirs ends. Do this
            only after confirming who is asking, outside Warden (for example a call to a known number).
          </p>
        </ConfirmDialog>
      )}
      {stepUp.dialog}

      {confirmRemove && (
        <ConfirmDialog
          title={`Remove ${confirmRemove.email}?`}
          confirmLabel="Remove member"
          tone="danger"
          pending={busy !== null}
          onCancel={() => setConfirmRemove(null)}
          onConfirm={() => {
            const m = confirmRemove;
            setConfirmRemove(null);
            void run(`remove-${m.user_id}`, async () => {
              await api(org, `/api/v1/members/${m.user_id}`, { method: "DELETE" });
              setNotice(
                m.api_keys > 0
                  ? `${m.email} was removed, and ${m.api_keys === 1 ? "the API key" : `${m.api_keys} API keys`} they created revoked.`
                  : `${m.email} was removed.`,
              );
            });
          }}
        >
          <p className="text-sm text-slate-600">
            They lose access to this organization on their next request. Their account and other organizations are not
            affected.
          </p>
          {confirmRemove.api_keys > 0 && (
            <p className="mt-2 text-sm font-medium text-red-700" data-testid="remove-keys-warning">
              {confirmRemove.api_keys === 1 ? "The API key" : `The ${confirmRemove.api_keys} API keys`} they created
              will be revoked too; agents using {confirmRemove.api_keys === 1 ? "it" : "them"} stop working at once.
            </p>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}

function InvitationLink({ invitation, onDismiss }: { invitation: Invitation; onDismiss: () => void }) {
  const [copied, setCopied] = useState(false);
  const url = typeof window === "undefined" ? invitation.path : `${window.location.origin}${invitation.path}`;
  return (
    <div className="rounded-lg border border-amber-300 bg-amber-50 p-4" data-testid="invitation-link">
      <p className="text-sm font-medium text-amber-900">
        {invitation.email_status === "sent"
          ? `${invitation.email} is invited. This one-time link to accept was e-mailed to them; you can also pass it on yourself. They join only once they accept. It is shown only now and expires ${formatUtc(invitation.expires_at)}.`
          : `${invitation.email} is invited. Send them this one-time link to accept; they join only once they accept. It is shown only now and expires ${formatUtc(invitation.expires_at)}.`}
      </p>
      {invitation.email_status === "failed" && (
        <p className="mt-1 text-sm text-red-800" role="alert">
          The invitation e-mail could not be sent: pass the link on yourself.
        </p>
      )}
      <div className="mt-3 flex gap-2">
        <input
          readOnly
          value={url}
          className={`${inputClass} font-mono`}
          aria-label="Invitation link"
          onFocus={(e) => e.currentTarget.select()}
        />
        <Button
          variant="secondary"
          onClick={async () => {
            await navigator.clipboard.writeText(url).catch(() => {});
            setCopied(true);
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
        <Button variant="ghost" onClick={onDismiss}>
          Done
        </Button>
      </div>
    </div>
  );
}
