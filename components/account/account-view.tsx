"use client";

import { startRegistration, type PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/browser";
import { useState } from "react";
import { api } from "../api-client";
import { ConfirmDialog, Dialog } from "../dialog";
import { STEP_UP_HEADER, useStepUp, type BegunStepUp } from "../step-up";
import { Table } from "../table";
import { Ago } from "../time";
import { Alert, Badge, Button, Card, Field, fieldAria, formatUtc, inputClass, PageHeader } from "../ui";
import { invalid, useMutation } from "../use-mutation";

type Factors = {
  totp: { enabled: boolean; confirmed_at: string | null; last_used_at: string | null };
  passkeys: { id: string; name: string; created_at: string; last_used_at: string | null; backed_up: boolean }[];
  recovery_codes: { remaining: number; low: boolean } | null;
};
type SessionRow = {
  id: string;
  current: boolean;
  user_agent: string | null;
  ip: string | null;
  created_at: string;
  last_seen_at: string;
  auth_methods: string[];
};
type Requirement = { org: string; slug: string; passkeysOnly: boolean; compliant: boolean; graceUntil: string | null };

const METHOD_LABEL: Record<string, string> = {
  pwd: "password",
  otp: "authenticator code",
  webauthn: "passkey",
  recovery: "recovery code",
  sso: "SSO",
};

export function methodsLabel(methods: string[]): string {
  return methods.map((m) => METHOD_LABEL[m] ?? m).join(" + ") || "unknown";
}

const beginFactorsStepUp = () =>
  api<BegunStepUp>(null, "/api/v1/account/step-up", { method: "POST", body: { purpose: "factors.change" } });

export function AccountView({
  user,
  currentMethods,
  factors,
  sessions,
  locked,
  requirements,
}: {
  user: { id: string; email: string; name: string };
  currentMethods: string[];
  factors: Factors;
  sessions: SessionRow[];
  locked: number | null;
  requirements: Requirement[];
}) {
  const stepUp = useStepUp();
  const [codes, setCodes] = useState<string[] | null>(null);
  return (
    <div className="space-y-6">
      <PageHeader
        title="Your account"
        description={`Signed in as ${user.email} with ${methodsLabel(currentMethods)}.`}
      />
      {requirements
        .filter((r) => !r.compliant)
        .map((r) => (
          <Alert key={r.slug} tone={r.graceUntil ? "amber" : "red"}>
            {r.org} requires {r.passkeysOnly ? "a passkey" : "multi-factor authentication"}.{" "}
            {r.graceUntil
              ? `Set it up before ${formatUtc(r.graceUntil)}; after that you can only use this page until you do.`
              : `Until you set it up${r.passkeysOnly ? " and sign in with it" : " and sign in with it"}, this page is all you can use there.`}
          </Alert>
        ))}
      {locked !== null && (
        <Alert>
          Your second step is locked for {Math.ceil(locked / 60)} more minute(s) after too many wrong codes. An admin of
          your organization can unlock it.
        </Alert>
      )}
      <ProfileCard user={user} />
      <PasswordCard withStepUp={stepUp.withStepUp} />
      <TotpCard factors={factors} withStepUp={stepUp.withStepUp} onCodes={setCodes} />
      <PasskeysCard factors={factors} withStepUp={stepUp.withStepUp} onCodes={setCodes} />
      <RecoveryCard factors={factors} withStepUp={stepUp.withStepUp} onCodes={setCodes} />
      <SessionsCard sessions={sessions} />
      {codes && <RecoveryCodesDialog codes={codes} onClose={() => setCodes(null)} />}
      {stepUp.dialog}
    </div>
  );
}

type WithStepUp = ReturnType<typeof useStepUp>["withStepUp"];

function ProfileCard({ user }: { user: { email: string; name: string } }) {
  const m = useMutation();
  return (
    <Card title="Profile">
      <form
        className="grid gap-4 sm:grid-cols-2"
        onSubmit={(e) => {
          e.preventDefault();
          const name = String(new FormData(e.currentTarget).get("name") ?? "").trim();
          void m.run(
            "save",
            async () => {
              if (!name) throw invalid({ name: "Enter a name" });
              await api(null, "/api/v1/account", { method: "PATCH", body: { name } });
              m.setNotice("Saved.");
            },
            { fields: /^name$/ },
          );
        }}
        noValidate
      >
        <Field id="profile-email" label="Email">
          <input id="profile-email" className={inputClass} value={user.email} readOnly disabled />
        </Field>
        <Field id="profile-name" label="Name" error={m.fieldErrors.name}>
          <input
            id="profile-name"
            name="name"
            defaultValue={user.name}
            maxLength={200}
            className={inputClass}
            {...fieldAria("profile-name", { error: m.fieldErrors.name })}
          />
        </Field>
        <div className="flex items-center gap-3 sm:col-span-2">
          <Button type="submit" disabled={m.pending}>
            {m.busy === "save" ? "Saving…" : "Save"}
          </Button>
          {m.error && <span className="text-sm text-red-700">{m.error}</span>}
          {m.notice && <span className="text-sm text-emerald-700">{m.notice}</span>}
        </div>
      </form>
    </Card>
  );
}

function PasswordCard({ withStepUp }: { withStepUp: WithStepUp }) {
  const m = useMutation();
  return (
    <Card title="Password">
      <form
        className="grid gap-4 sm:grid-cols-3"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const f = new FormData(form);
          const current = String(f.get("current_password") ?? "");
          const next = String(f.get("new_password") ?? "");
          const confirm = String(f.get("confirm_password") ?? "");
          void m.run(
            "password",
            async () => {
              const errors: Record<string, string> = {};
              if (!current) errors.current_password = "Enter your current password";
              if (next.length < 12) errors.new_password = "Use at least 12 characters";
              if (confirm !== next) errors.confirm_password = "Does not match the new password";
              if (Object.keys(errors).length > 0) throw invalid(errors);
              const r = await withStepUp(
                (id) =>
                  api<{ other_sessions_ended: number }>(null, "/api/v1/account/password", {
                    method: "POST",
                    body: { current_password: current, new_password: next },
                    headers: id ? { [STEP_UP_HEADER]: id } : undefined,
                  }),
                () =>
                  api<BegunStepUp>(null, "/api/v1/account/step-up", {
                    method: "POST",
                    body: { purpose: "password.change" },
                  }),
              );
              form.reset();
              m.setNotice(`Password changed. ${r.other_sessions_ended} other session(s) signed out.`);
            },
            { fields: /^(current_password|new_password|confirm_password)$/ },
          );
        }}
      >
        {(
          [
            ["current_password", "Current password", "current-password"],
            ["new_password", "New password", "new-password"],
            ["confirm_password", "Repeat the new password", "new-password"],
          ] as const
        ).map(([name, label, auto]) => (
          <Field key={name} id={`pw-${name}`} label={label} error={m.fieldErrors[name]}>
            <input
              id={`pw-${name}`}
              name={name}
              type="password"
              autoComplete={auto}
              className={inputClass}
              {...fieldAria(`pw-${name}`, { error: m.fieldErrors[name] })}
            />
          </Field>
        ))}
        <div className="flex flex-wrap items-center gap-3 sm:col-span-3">
          <Button type="submit" disabled={m.pending}>
            {m.busy === "password" ? "Changing…" : "Change password"}
          </Button>
          <span className="text-xs text-slate-500">Every other session is signed out.</span>
          {m.error && <span className="text-sm text-red-700">{m.error}</span>}
          {m.notice && (
            <span className="text-sm text-emerald-700" role="status">
              {m.notice}
            </span>
          )}
        </div>
      </form>
    </Card>
  );
}

function TotpCard({
  factors,
  withStepUp,
  onCodes,
}: {
  factors: Factors;
  withStepUp: WithStepUp;
  onCodes: (codes: string[]) => void;
}) {
  const m = useMutation();
  const [setup, setSetup] = useState<{ secret: string; qr_svg: string } | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  return (
    <Card
      title="Authenticator app (TOTP)"
      actions={factors.totp.enabled ? <Badge tone="green">On</Badge> : <Badge>Off</Badge>}
    >
      {m.error && <Alert>{m.error}</Alert>}
      {factors.totp.enabled ? (
        <div className="flex flex-wrap items-center justify-between gap-3 text-sm text-slate-700">
          <span data-testid="totp-status">
            Set up {formatUtc(factors.totp.confirmed_at)}
            {factors.totp.last_used_at ? `; last used ${formatUtc(factors.totp.last_used_at)}` : ""}.
          </span>
          <Button variant="secondary" onClick={() => setConfirmRemove(true)} disabled={m.pending}>
            Remove
          </Button>
        </div>
      ) : setup ? (
        <div className="grid gap-6 sm:grid-cols-[auto_1fr]">
          {/* eslint-disable-next-line @next/next/no-img-element -- a data: URL rendered on the server, not an asset */}
          <img
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qr_svg)}`}
            alt="QR code for your authenticator app"
            width={176}
            height={176}
            className="rounded border border-slate-200 bg-white p-1"
            data-testid="totp-qr"
          />
          <form
            className="space-y-3"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              const code = String(new FormData(e.currentTarget).get("code") ?? "").trim();
              void m.run(
                "confirm",
                async () => {
                  if (!/^\d{6}$/.test(code)) throw invalid({ code: "Enter the 6-digit code from your app" });
                  const r = await withStepUp(
                    (id) =>
                      api<{ recovery_codes: string[] | null }>(null, "/api/v1/account/totp/confirm", {
                        method: "POST",
                        body: { code },
                        headers: id ? { [STEP_UP_HEADER]: id } : undefined,
                      }),
                    beginFactorsStepUp,
                  );
                  setSetup(null);
                  if (r.recovery_codes) onCodes(r.recovery_codes);
                },
                { fields: /^code$/ },
              );
            }}
          >
            <p className="text-sm text-slate-700">
              Scan the code with your authenticator app, or enter this secret:{" "}
              <code className="break-all rounded bg-slate-100 px-1 py-0.5 text-xs" data-testid="totp-secret">
                {setup.secret}
              </code>
            </p>
            <Field id="totp-code" label="Then enter the 6-digit code it shows" error={m.fieldErrors.code}>
              <input
                id="totp-code"
                name="code"
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={6}
                className={inputClass}
                {...fieldAria("totp-code", { error: m.fieldErrors.code })}
              />
            </Field>
            <div className="flex gap-3">
              <Button type="submit" disabled={m.pending}>
                {m.busy === "confirm" ? "Checking…" : "Turn on"}
              </Button>
              <Button type="button" variant="ghost" onClick={() => setSetup(null)}>
                Cancel
              </Button>
            </div>
          </form>
        </div>
      ) : (
        <div className="flex flex-wrap items-center justify-between gap-3">
          <p className="text-sm text-slate-600">Codes from an app such as 1Password, Google Authenticator or Aegis.</p>
          <Button
            onClick={() =>
              void m.run(
                "begin",
                async () => {
                  setSetup(await api(null, "/api/v1/account/totp", { method: "POST" }));
                },
                { refresh: false },
              )
            }
            disabled={m.pending}
          >
            {m.busy === "begin" ? "Preparing…" : "Set up"}
          </Button>
        </div>
      )}
      {confirmRemove && (
        <ConfirmDialog
          title="Remove the authenticator app?"
          confirmLabel="Remove"
          pendingLabel="Removing…"
          tone="danger"
          pending={m.busy === "remove"}
          onCancel={() => setConfirmRemove(false)}
          onConfirm={() =>
            void m
              .run("remove", () =>
                withStepUp(
                  (id) =>
                    api(null, "/api/v1/account/totp", {
                      method: "DELETE",
                      headers: id ? { [STEP_UP_HEADER]: id } : undefined,
                    }),
                  beginFactorsStepUp,
                ),
              )
              .then(() => setConfirmRemove(false))
          }
        >
          <p className="text-sm text-slate-600">Codes from this app will no longer sign you in.</p>
        </ConfirmDialog>
      )}
    </Card>
  );
}

function PasskeysCard({
  factors,
  withStepUp,
  onCodes,
}: {
  factors: Factors;
  withStepUp: WithStepUp;
  onCodes: (codes: string[]) => void;
}) {
  const m = useMutation();
  const [removing, setRemoving] = useState<{ id: string; name: string } | null>(null);
  return (
    <Card
      title="Passkeys"
      actions={<Badge tone={factors.passkeys.length > 0 ? "green" : "slate"}>{factors.passkeys.length}</Badge>}
    >
      {m.error && (
        <div className="mb-3">
          <Alert>{m.error}</Alert>
        </div>
      )}
      <Table
        columns={[
          { header: "Name", cell: (p) => <span className="font-medium">{p.name}</span> },
          { header: "Added", cell: (p) => formatUtc(p.created_at) },
          { header: "Last used", cell: (p) => (p.last_used_at ? <Ago iso={p.last_used_at} /> : "never") },
          {
            header: <span className="sr-only">Actions</span>,
            cell: (p) => (
              <Button variant="ghost" onClick={() => setRemoving({ id: p.id, name: p.name })} disabled={m.pending}>
                Remove
              </Button>
            ),
          },
        ]}
        rows={factors.passkeys}
        rowKey={(p) => p.id}
        rowProps={(p) => ({ "data-testid": `passkey-${p.name}` })}
        empty="No passkeys yet. A passkey signs you in without a password and cannot be phished."
      />
      <form
        className="mt-4 flex flex-wrap items-end gap-3"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const name = String(new FormData(form).get("name") ?? "").trim();
          void m.run(
            "add",
            async () => {
              if (!name) throw invalid({ name: "Name this passkey (for example, the device it is on)" });
              const begun = await api<{ challenge_id: string; options: PublicKeyCredentialCreationOptionsJSON }>(
                null,
                "/api/v1/account/passkeys",
                { method: "POST" },
              );
              let response;
              try {
                response = await startRegistration({ optionsJSON: begun.options });
              } catch {
                throw invalid({ name: "The passkey was not created (cancelled, or this device cannot create one)" });
              }
              const r = await withStepUp(
                (id) =>
                  api<{ recovery_codes: string[] | null }>(null, "/api/v1/account/passkeys/verify", {
                    method: "POST",
                    body: { challenge_id: begun.challenge_id, name, response },
                    headers: id ? { [STEP_UP_HEADER]: id } : undefined,
                  }),
                beginFactorsStepUp,
              );
              form.reset();
              if (r.recovery_codes) onCodes(r.recovery_codes);
            },
            { fields: /^name$/ },
          );
        }}
      >
        <Field id="passkey-name" label="New passkey name" error={m.fieldErrors.name} className="min-w-56 flex-1">
          <input
            id="passkey-name"
            name="name"
            maxLength={100}
            placeholder="e.g. Work laptop"
            className={inputClass}
            {...fieldAria("passkey-name", { error: m.fieldErrors.name })}
          />
        </Field>
        <Button type="submit" disabled={m.pending}>
          {m.busy === "add" ? "Waiting for your device…" : "Add a passkey"}
        </Button>
      </form>
      {removing && (
        <ConfirmDialog
          title={`Remove the passkey “${removing.name}”?`}
          confirmLabel="Remove"
          pendingLabel="Removing…"
          tone="danger"
          pending={m.busy === "remove"}
          onCancel={() => setRemoving(null)}
          onConfirm={() =>
            void m
              .run("remove", () =>
                withStepUp(
                  (id) =>
                    api(null, `/api/v1/account/passkeys/${removing.id}`, {
                      method: "DELETE",
                      headers: id ? { [STEP_UP_HEADER]: id } : undefined,
                    }),
                  beginFactorsStepUp,
                ),
              )
              .then(() => setRemoving(null))
          }
        >
          <p className="text-sm text-slate-600">It will no longer sign you in or confirm anything.</p>
        </ConfirmDialog>
      )}
    </Card>
  );
}

function RecoveryCard({
  factors,
  withStepUp,
  onCodes,
}: {
  factors: Factors;
  withStepUp: WithStepUp;
  onCodes: (codes: string[]) => void;
}) {
  const m = useMutation();
  const rc = factors.recovery_codes;
  return (
    <Card title="Recovery codes">
      {m.error && (
        <div className="mb-3">
          <Alert>{m.error}</Alert>
        </div>
      )}
      {!rc ? (
        <p className="text-sm text-slate-600">You get 10 recovery codes when you set up your first second factor.</p>
      ) : (
        <div className="flex flex-wrap items-center justify-between gap-3">
          <p className="text-sm text-slate-700" data-testid="recovery-remaining">
            {rc.remaining} of 10 left. Each signs you in once when you cannot use your other factors.
          </p>
          <Button
            variant="secondary"
            disabled={m.pending}
            onClick={() =>
              void m.run("regenerate", async () => {
                const r = await withStepUp(
                  (id) =>
                    api<{ recovery_codes: string[] }>(null, "/api/v1/account/recovery-codes", {
                      method: "POST",
                      headers: id ? { [STEP_UP_HEADER]: id } : undefined,
                    }),
                  beginFactorsStepUp,
                );
                onCodes(r.recovery_codes);
              })
            }
          >
            {m.busy === "regenerate" ? "Generating…" : "Generate new codes"}
          </Button>
          {rc.low && (
            <div className="w-full">
              <Alert tone="amber">Only {rc.remaining} recovery code(s) left: generate a new set.</Alert>
            </div>
          )}
        </div>
      )}
    </Card>
  );
}

function RecoveryCodesDialog({ codes, onClose }: { codes: string[]; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <Dialog
      title="Save your recovery codes"
      description="They are shown only now. Each signs you in once if you lose your authenticator or passkey. The previous codes no longer work."
      onCancel={onClose}
      testId="recovery-codes-dialog"
    >
      <ul className="mt-4 grid grid-cols-2 gap-2 font-mono text-sm" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c} className="rounded bg-slate-100 px-2 py-1 text-center">
            {c}
          </li>
        ))}
      </ul>
      <div className="mt-6 flex flex-wrap justify-end gap-3">
        <Button
          variant="secondary"
          onClick={() => {
            void navigator.clipboard
              ?.writeText(codes.join("\n"))
              .then(() => setCopied(true))
              .catch(() => setCopied(false));
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
        <Button onClick={onClose} data-autofocus>
          I saved them
        </Button>
      </div>
    </Dialog>
  );
}

function SessionsCard({ sessions }: { sessions: SessionRow[] }) {
  const m = useMutation();
  const others = sessions.filter((s) => !s.current).length;
  return (
    <Card
      title="Sessions"
      actions={
        <Button
          variant="secondary"
          disabled={m.pending || others === 0}
          onClick={() =>
            void m.run("others", async () => {
              const r = await api<{ revoked: number }>(null, "/api/v1/account/sessions", { method: "DELETE" });
              m.setNotice(`${r.revoked} other session(s) signed out.`);
            })
          }
        >
          {m.busy === "others" ? "Signing out…" : "Sign out everywhere else"}
        </Button>
      }
    >
      {m.error && (
        <div className="mb-3">
          <Alert>{m.error}</Alert>
        </div>
      )}
      {m.notice && (
        <div className="mb-3">
          <Alert tone="green" role="status">
            {m.notice}
          </Alert>
        </div>
      )}
      <Table
        columns={[
          {
            header: "Device",
            cell: (s) => (
              <span className="break-all">
                {s.user_agent ? s.user_agent.slice(0, 80) : "unknown"}{" "}
                {s.current && <Badge tone="blue">this session</Badge>}
              </span>
            ),
          },
          { header: "Address", cell: (s) => s.ip ?? "—" },
          { header: "Signed in", cell: (s) => formatUtc(s.created_at) },
          { header: "Last seen", cell: (s) => <Ago iso={s.last_seen_at} /> },
          { header: "How", cell: (s) => methodsLabel(s.auth_methods) },
          {
            header: <span className="sr-only">Actions</span>,
            cell: (s) =>
              s.current ? null : (
                <Button
                  variant="ghost"
                  disabled={m.pending}
                  onClick={() =>
                    void m.run(`revoke-${s.id}`, () =>
                      api(null, `/api/v1/account/sessions/${s.id}`, { method: "DELETE" }),
                    )
                  }
                >
                  {m.busy === `revoke-${s.id}` ? "Revoking…" : "Revoke"}
                </Button>
              ),
          },
        ]}
        rows={sessions}
        rowKey={(s) => s.id}
        rowProps={(s) => ({ "data-testid": `session-${s.id}` })}
        empty="No active sessions."
      />
    </Card>
  );
}
