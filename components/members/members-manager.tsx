"use client";

import { useState } from "react";
import { api } from "../api-client";
import { useMutation } from "../use-mutation";
import { ConfirmDialog } from "../dialog";
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
};

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
