"use client";

import { useState } from "react";
import type { ScimTokenView } from "@/lib/sso/scim-tokens";
import { api } from "../api-client";
import { ConfirmDialog } from "../dialog";
import { useMutation } from "../use-mutation";
import { Alert, Badge, Button, Card, Field, fieldAria, formatUtc, inputClass } from "../ui";

/** SCIM provisioning: the base URL for the IdP and its bearer tokens (shown once, revocable). */
export function ScimTokensCard({ org, origin, tokens }: { org: string; origin: string; tokens: ScimTokenView[] }) {
  const [name, setName] = useState("");
  const [created, setCreated] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ScimTokenView | null>(null);
  const m = useMutation();

  async function create(e: React.FormEvent) {
    e.preventDefault();
    const r = await m.run(
      "create",
      () => api<ScimTokenView & { token: string }>(org, "/api/v1/sso/scim-tokens", { method: "POST", body: { name } }),
      { fields: /^name$/ },
    );
    if (r) {
      setName("");
      setCreated(r.token);
    }
  }

  return (
    <Card title="SCIM provisioning">
      <p className="mb-4 text-sm text-slate-600">
        Your identity provider can create, update and deactivate people here over SCIM 2.0. Deactivating someone ends
        their access at once: their membership, their SSO sessions, the API keys they created (suspended) and their
        pending approvals (cancelled). SCIM base URL: <code className="font-mono">{origin}/api/scim/v2</code>
      </p>
      {m.error && <Alert>{m.error}</Alert>}
      {created && (
        <Alert tone="green" role="status">
          <div className="space-y-1">
            <div>Copy this token into your identity provider now. It is not shown again.</div>
            <code className="block break-all font-mono" data-testid="scim-token">
              {created}
            </code>
          </div>
        </Alert>
      )}
      {tokens.length > 0 && (
        <ul className="my-4 divide-y divide-slate-100 rounded-md border border-slate-200" aria-label="SCIM tokens">
          {tokens.map((t) => (
            <li key={t.id} className="flex flex-wrap items-center gap-2 p-3 text-sm">
              <span className="font-medium">{t.name}</span>
              <span className="font-mono text-xs text-slate-500">…{t.last4}</span>
              {t.revoked_at ? (
                <Badge tone="red">revoked</Badge>
              ) : t.expires_at && new Date(t.expires_at) <= new Date() ? (
                <Badge tone="amber">expired</Badge>
              ) : (
                <Badge tone="green">active</Badge>
              )}
              <span className="text-xs text-slate-500">
                created {formatUtc(t.created_at)}
                {t.last_used_at ? `, last used ${formatUtc(t.last_used_at)}` : ", never used"}
              </span>
              {!t.revoked_at && (
                <Button variant="ghost" className="ml-auto" disabled={m.pending} onClick={() => setRevoking(t)}>
                  Revoke
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={create} className="flex flex-wrap items-end gap-2" noValidate>
        <Field id="scim-token-name" label="New token" error={m.fieldErrors.name} className="min-w-64 flex-1">
          <input
            id="scim-token-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="Okta provisioning"
            className={inputClass}
            {...fieldAria("scim-token-name", { error: m.fieldErrors.name })}
          />
        </Field>
        <Button type="submit" disabled={m.pending || name.trim() === ""}>
          {m.busy === "create" ? "Creating…" : "Create token"}
        </Button>
      </form>
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirmLabel="Revoke token"
          tone="danger"
          pending={m.pending}
          onCancel={() => setRevoking(null)}
          onConfirm={async () => {
            await m.run(`revoke-${revoking.id}`, () =>
              api(org, `/api/v1/sso/scim-tokens/${revoking.id}/revoke`, { method: "POST" }),
            );
            setRevoking(null);
          }}
        >
          Your identity provider can no longer provision people with this token.
        </ConfirmDialog>
      )}
    </Card>
  );
}
