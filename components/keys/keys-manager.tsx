"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { ApiKeyView } from "@/lib/keys/view";
import { api } from "../api-client";
import { useMutation } from "../use-mutation";
import { Alert, Badge, Button, Card, inputClass } from "../ui";
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

function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : "—";
}

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
        {keys.length === 0 ? (
          <p className="text-sm text-slate-600">No API keys yet.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm" data-testid="keys-table">
              <thead className="text-xs uppercase text-slate-500">
                <tr>
                  <th className="py-2 pr-4 font-medium">Key</th>
                  <th className="py-2 pr-4 font-medium">Scopes</th>
                  <th className="py-2 pr-4 font-medium">Status</th>
                  <th className="py-2 pr-4 font-medium">Created</th>
                  <th className="py-2 pr-4 font-medium">Last used</th>
                  {canWrite && <th className="py-2 text-right font-medium">Actions</th>}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {keys.map((k) => {
                  const usable = k.status === "active" || k.status === "expiring_soon";
                  return (
                    <tr key={k.id} data-testid={`key-${k.name}`} className="align-top">
                      <td className="py-3 pr-4">
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
                      </td>
                      <td className="max-w-xs py-3 pr-4">
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
                              <span
                                key={s}
                                className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700"
                              >
                                {s}
                              </span>
                            ),
                          )}
                        </div>
                        {k.suspended_scopes.length > 0 && (
                          <div className="mt-1 text-xs text-red-700">
                            {k.suspended_scopes.length} scope{k.suspended_scopes.length === 1 ? "" : "s"} suspended:
                            beyond its creator’s current role
                          </div>
                        )}
                        {k.ip_allowlist.length > 0 && (
                          <div className="mt-1 text-xs text-slate-500">from {k.ip_allowlist.join(", ")}</div>
                        )}
                      </td>
                      <td className="py-3 pr-4">
                        <Badge tone={STATUS_TONE[k.status]}>{STATUS_LABEL[k.status]}</Badge>
                        {k.rotation_due && (
                          <div className="mt-1">
                            <Badge tone="amber">Older than 90 days: rotate</Badge>
                          </div>
                        )}
                        {k.expires_at && k.status !== "revoked" && (
                          <div className="mt-1 text-xs text-slate-500">until {when(k.expires_at)}</div>
                        )}
                        {k.revoke_reason && <div className="mt-1 text-xs text-slate-500">{k.revoke_reason}</div>}
                        {k.status === "suspended" && (
                          <div className="mt-1 text-xs text-red-700">
                            Its creator is no longer a member: every request is refused
                          </div>
                        )}
                      </td>
                      <td className="py-3 pr-4 text-slate-600">
                        <div>{when(k.created_at)}</div>
                        <div className="text-xs text-slate-500">by {createdBy(k)}</div>
                      </td>
                      <td className="py-3 pr-4 text-slate-600">
                        <div>{when(k.last_used_at)}</div>
                        {k.last_used_ip && <div className="font-mono text-xs text-slate-500">{k.last_used_ip}</div>}
                      </td>
                      {canWrite && (
                        <td className="py-3 text-right whitespace-nowrap">
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
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
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
        <Dialog title={`Revoke “${revoking.name}”?`} onCancel={() => setRevoking(null)}>
          <p className="text-sm text-slate-600">
            Requests with this key fail from the very next one. This cannot be undone.
          </p>
          <div className="mt-6 flex justify-end gap-3">
            <Button variant="secondary" onClick={() => setRevoking(null)}>
              Cancel
            </Button>
            <Button
              variant="danger"
              onClick={() => {
                const k = revoking;
                setRevoking(null);
                void run(`revoke-${k.id}`, async () => {
                  await api(org, `/api/v1/auth/api-keys/${k.id}`, { method: "DELETE" });
                  setNotice(`“${k.name}” was revoked.`);
                });
              }}
            >
              Revoke key
            </Button>
          </div>
        </Dialog>
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
                const res = await api<{ token: string; key: ApiKeyView }>(org, `/api/v1/auth/api-keys/${k.id}/rotate`, {
                  method: "POST",
                  body: { grace_period_seconds: grace },
                });
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
    </div>
  );
}

function Dialog({ title, children, onCancel }: { title: string; children: React.ReactNode; onCancel: () => void }) {
  return (
    <div
      role="dialog"
      aria-modal="true"
      aria-label={title}
      className="fixed inset-0 z-10 flex items-center justify-center bg-slate-900/40 p-4"
      onKeyDown={(e) => e.key === "Escape" && onCancel()}
    >
      <div className="w-full max-w-md rounded-lg bg-white p-6 shadow-xl">
        <h2 className="text-lg font-semibold">{title}</h2>
        <div className="mt-2">{children}</div>
      </div>
    </div>
  );
}
