"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { ApiKeyView } from "@/lib/keys/view";
import { api } from "../api-client";
import { beginOrgStepUp, stepUpHeaders, useStepUp } from "../step-up";
import { useMutation } from "../use-mutation";
import { ConfirmDialog, Dialog } from "../dialog";
import { Table } from "../table";
import { Alert, Badge, Button, Card, formatUtc, inputClass } from "../ui";
import { CreateKeyForm, type AgentOption } from "./create-key-form";
import { EmergencyRevoke } from "./emergency-revoke";
import { RevealedKey } from "./revealed-key";

const STATUS_TONE = {
  active: "green",
  expiring_soon: "amber",
  expired: "slate",
  revoked: "red",
  rotating: "violet",
  suspended: "red",
} as const;
const STATUS_LABEL = {
  active: "Active",
  expiring_soon: "Expiring soon",
  expired: "Expired",
  revoked: "Revoked",
  rotating: "Rotating",
  suspended: "Suspended",
} as const;
const GRACE_OPTIONS = [
  { label: "Stop the old key now", seconds: 0 },
  { label: "1 hour", seconds: 3600 },
  { label: "1 day", seconds: 86_400 },
  { label: "3 days", seconds: 3 * 86_400 },
  { label: "7 days", seconds: 7 * 86_400 },
];

function createdBy(k: ApiKeyView): string {
  const c = k.created_by;
  if (!c) return "—";
  const person = c.type === "user" ? c : c.on_behalf_of;
  const who = person ? `${person.email ?? "a deleted account"}${person.role ? "" : " (no longer a member)"}` : "—";
  return c.type === "api_key" ? `an API key, for ${who}` : who;
}

export function KeysManager({
  org,
  keys,
  canWrite,
  canEmergencyRevoke,
  grantableScopes,
  agents,
  initialAgentId,
}: {
  org: string;
  keys: ApiKeyView[];
  canWrite: boolean;
  canEmergencyRevoke: boolean;
  grantableScopes: string[];
  agents: AgentOption[];
  initialAgentId?: string;
}) {
  const agentById = new Map(agents.map((a) => [a.id, a]));
  const router = useRouter();
  const { error, notice, busy, run, setNotice } = useMutation();
  const stepUp = useStepUp();
  const [revealed, setRevealed] = useState<{ name: string; token: string } | null>(null);
  const [rotating, setRotating] = useState<ApiKeyView | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyView | null>(null);

  return (
    <div className="space-y-6">
      {error && <Alert>{error}</Alert>}
      {notice && (
        <Alert tone="green" role="status">
          {notice}
        </Alert>
      )}
      {revealed && <RevealedKey name={revealed.name} token={revealed.token} onDone={() => setRevealed(null)} />}

      {canWrite && (
        <CreateKeyForm
          org={org}
          grantableScopes={grantableScopes}
          agents={agents}
          initialAgentId={initialAgentId}
          onCreated={(name, token) => {
            setRevealed({ name, token });
            router.refresh();
          }}
        />
      )}

      <Card title={`${keys.length} key${keys.length === 1 ? "" : "s"}`}>
        <Table
          rows={keys}
          rowKey={(k) => k.id}
          rowProps={(k) => ({ "data-testid": `key-${k.name}` })}
          label="API keys"
          testId="keys-table"
          empty="No API keys yet."
          columns={[
            {
              header: "Key",
              cell: (k) => (
                <>
                  <div className="font-medium text-slate-900">{k.name}</div>
                  <div className="font-mono text-xs text-slate-500">
                    {k.prefix}…{k.last4}
                  </div>
                  {k.environment === "test" && <Badge tone="blue">test</Badge>}
                  {k.agent_id && (
                    <div className="mt-1 text-xs text-slate-600" data-testid="key-agent">
                      agent{" "}
                      <Link
                        href={`/${org}/agents/${agentById.get(k.agent_id)?.slug ?? ""}`}
                        className="font-mono underline"
                      >
                        {agentById.get(k.agent_id)?.slug ?? k.agent_id.slice(0, 8)}
                      </Link>
                    </div>
                  )}
                </>
              ),
            },
            {
              header: "Scopes",
              className: "sm:max-w-xs",
              cell: (k) => (
                <>
                  <div className="flex flex-wrap gap-1">
                    {k.scopes.map((s) =>
                      k.suspended_scopes.includes(s) ? (
                        <span
                          key={s}
                          title="Suspended: the person this key acts for no longer holds this permission"
                          className="rounded bg-red-50 px-1.5 py-0.5 font-mono text-xs text-red-700 line-through"
                          data-testid="suspended-scope"
                        >
                          {s}
                        </span>
                      ) : (
                        <span key={s} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">
                          {s}
                        </span>
                      ),
                    )}
                  </div>
                  {k.suspended_scopes.length > 0 && (
                    <div className="mt-1 text-xs text-red-700">
                      {k.suspended_scopes.length} scope{k.suspended_scopes.length === 1 ? "" : "s"} suspended: beyond
                      its creator’s current role
                    </div>
                  )}
                  {k.ip_allowlist.length > 0 && (
                    <div className="mt-1 text-xs text-slate-500">from {k.ip_allowlist.join(", ")}</div>
                  )}
                </>
              ),
            },
            {
              header: "Status",
              cell: (k) => (
                <>
                  <Badge tone={STATUS_TONE[k.status]}>{STATUS_LABEL[k.status]}</Badge>
                  {k.rotation_due && (
                    <div className="mt-1">
                      <Badge tone="amber">Older than 90 days: rotate</Badge>
                    </div>
                  )}
                  {k.expires_at && k.status !== "revoked" && (
                    <div className="mt-1 text-xs text-slate-500">until {formatUtc(k.expires_at)}</div>
                  )}
                  {k.revoke_reason && <div className="mt-1 text-xs text-slate-500">{k.revoke_reason}</div>}
                  {k.status === "suspended" && (
                    <div className="mt-1 text-xs text-red-700">
                      Its creator is no longer a member: every request is refused
                    </div>
                  )}
                </>
              ),
            },
            {
              header: "Created",
              cell: (k) => (
                <div className="text-slate-600">
                  <div>{formatUtc(k.created_at)}</div>
                  <div className="text-xs text-slate-500">by {createdBy(k)}</div>
                </div>
              ),
            },
            {
              header: "Last used",
              cell: (k) => (
                <div className="text-slate-600">
                  <div>{formatUtc(k.last_used_at)}</div>
                  {k.last_used_ip && <div className="font-mono text-xs text-slate-500">{k.last_used_ip}</div>}
                </div>
              ),
            },
            canWrite && {
              header: "Actions",
              align: "right",
              className: "sm:whitespace-nowrap",
              cell: (k) => {
                const usable = k.status === "active" || k.status === "expiring_soon";
                return (
                  <>
                    {usable && (
                      <>
                        <Button variant="ghost" disabled={busy !== null} onClick={() => setRotating(k)}>
                          Rotate
                        </Button>
                        <Button
                          variant="ghost"
                          className="text-red-700"
                          disabled={busy !== null}
                          onClick={() => setRevoking(k)}
                        >
                          Revoke
                        </Button>
                      </>
                    )}
                    {(k.status === "rotating" || k.status === "suspended") && (
                      <Button
                        variant="ghost"
                        className="text-red-700"
                        disabled={busy !== null}
                        onClick={() => setRevoking(k)}
                      >
                        Revoke now
                      </Button>
                    )}
                  </>
                );
              },
            },
          ]}
        />
      </Card>

      {canEmergencyRevoke && (
        <EmergencyRevoke
          org={org}
          onDone={(n) => {
            setNotice(`Emergency revoke done: ${n} key${n === 1 ? "" : "s"} revoked.`);
            router.refresh();
          }}
        />
      )}

      {revoking && (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke key"
          tone="danger"
          onCancel={() => setRevoking(null)}
          onConfirm={() => {
            const k = revoking;
            setRevoking(null);
            void run(`revoke-${k.id}`, async () => {
              await api(org, `/api/v1/auth/api-keys/${k.id}`, { method: "DELETE" });
              setNotice(`“${k.name}” was revoked.`);
            });
          }}
        >
          <p className="text-sm text-slate-600">
            Requests with this key fail from the very next one. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}

      {rotating && (
        <Dialog title={`Rotate “${rotating.name}”`} onCancel={() => setRotating(null)}>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const grace = Number(new FormData(e.currentTarget).get("grace"));
              const k = rotating;
              setRotating(null);
              void run(`rotate-${k.id}`, async () => {
                // A replacement is a new key: a person with a second factor steps up (keys.create).
                const res = await stepUp.withStepUp(
                  (stepUpId) =>
                    api<{ token: string; key: ApiKeyView }>(org, `/api/v1/auth/api-keys/${k.id}/rotate`, {
                      method: "POST",
                      body: { grace_period_seconds: grace },
                      headers: stepUpHeaders(stepUpId),
                    }),
                  beginOrgStepUp(org, "keys.create"),
                );
                setRevealed({ name: res.key.name, token: res.token });
              });
            }}
          >
            <p className="text-sm text-slate-600">
              A new key is issued now. How long should the old key keep working while you deploy the new one?
            </p>
            <label htmlFor="grace" className="mt-4 block text-sm font-medium text-slate-700">
              Grace period
            </label>
            <select id="grace" name="grace" defaultValue={86_400} className={`${inputClass} mt-1`}>
              {GRACE_OPTIONS.map((g) => (
                <option key={g.seconds} value={g.seconds}>
                  {g.label}
                </option>
              ))}
            </select>
            <div className="mt-6 flex justify-end gap-3">
              <Button type="button" variant="secondary" onClick={() => setRotating(null)}>
                Cancel
              </Button>
              <Button type="submit">Rotate key</Button>
            </div>
          </form>
        </Dialog>
      )}
      {stepUp.dialog}
    </div>
  );
}
