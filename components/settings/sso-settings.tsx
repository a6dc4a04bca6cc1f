"use client";

import { useState } from "react";
import type { SsoConnectionView } from "@/lib/sso/connections";
import type { SsoDomainView } from "@/lib/sso/domains";
import type { Enforcement } from "@/lib/sso/enforcement";
import type { RoleRequestView } from "@/lib/sso/role-requests";
import { api } from "../api-client";
import { ConfirmDialog } from "../dialog";
import { formatUtc } from "../ui";
import { useMutation } from "../use-mutation";
import { Alert, Badge, Button, Card, Field, cx, fieldAria, inputClass } from "../ui";

const ROLES = ["viewer", "auditor", "approver", "admin"] as const;

type LastTest = {
  ok?: boolean;
  at?: string;
  email?: string | null;
  email_verified?: boolean | null;
  groups?: string[];
  mapped_role?: string;
  problems?: string[];
  error?: string;
  attributes?: Record<string, unknown>;
} | null;

export function SsoSettings({
  org,
  connections,
  domains,
  roleRequests,
  testedId,
  testError,
  origin,
  enforcement,
}: {
  org: string;
  origin: string;
  enforcement: Enforcement;
  connections: SsoConnectionView[];
  domains: SsoDomainView[];
  roleRequests: RoleRequestView[];
  testedId: string | null;
  testError: string | null;
}) {
  return (
    <div className="space-y-6">
      {testError && <Alert>{`Test sign-in could not start: ${testError}`}</Alert>}
      <DomainsCard org={org} domains={domains} />
      {connections.map((c) => (
        <ConnectionCard key={c.id} org={org} origin={origin} connection={c} justTested={testedId === c.id} />
      ))}
      <NewConnectionCard org={org} />
      <EnforcementCard org={org} enforcement={enforcement} />
      <RoleRequestsCard org={org} requests={roleRequests} />
    </div>
  );
}

function statusTone(s: SsoDomainView["status"]) {
  return s === "verified" ? "green" : s === "failed" ? "red" : "amber";
}

function DomainsCard({ org, domains }: { org: string; domains: SsoDomainView[] }) {
  const [domain, setDomain] = useState("");
  const [removing, setRemoving] = useState<SsoDomainView | null>(null);
  const m = useMutation();

  async function add(e: React.FormEvent) {
    e.preventDefault();
    const ok = await m.run("add", () => api(org, "/api/v1/sso/domains", { method: "POST", body: { domain } }), {
      fields: /^domain$/,
    });
    if (ok) {
      setDomain("");
      m.setNotice("Domain added. Publish the TXT record below, then press Verify.");
    }
  }

  return (
    <Card title="Verified domains">
      <p className="mb-4 text-sm text-slate-600">
        People sign in with SSO only with an e-mail address in a domain you verified; “Continue with SSO” finds your
        identity provider by that domain. Verified domains are re-checked daily.
      </p>
      {m.error && <Alert>{m.error}</Alert>}
      {m.notice && (
        <Alert tone="green" role="status">
          {m.notice}
        </Alert>
      )}
      {domains.length > 0 && (
        <ul className="my-4 divide-y divide-slate-100 rounded-md border border-slate-200" aria-label="Domains">
          {domains.map((d) => (
            <li key={d.id} className="space-y-2 p-3 text-sm" data-testid={`domain-${d.domain}`}>
              <div className="flex flex-wrap items-center gap-2">
                <span className="font-medium">{d.domain}</span>
                <Badge tone={statusTone(d.status)}>{d.status}</Badge>
                {d.verified_at && <span className="text-xs text-slate-500">verified {formatUtc(d.verified_at)}</span>}
                <span className="ml-auto flex gap-2">
                  <Button
                    variant="secondary"
                    disabled={m.pending}
                    onClick={() =>
                      m.run(`verify-${d.id}`, async () => {
                        const r = await api<SsoDomainView>(org, `/api/v1/sso/domains/${d.id}/verify`, {
                          method: "POST",
                        });
                        m.setNotice(
                          r.status === "verified"
                            ? `${r.domain} is verified.`
                            : `${r.domain} is not verified yet: ${r.last_error ?? "record not found"}`,
                        );
                      })
                    }
                  >
                    {m.busy === `verify-${d.id}` ? "Checking DNS…" : d.status === "verified" ? "Re-check" : "Verify"}
                  </Button>
                  <Button variant="ghost" disabled={m.pending} onClick={() => setRemoving(d)}>
                    Remove
                  </Button>
                </span>
              </div>
              {d.status !== "verified" && (
                <div className="rounded bg-slate-50 p-2 text-xs text-slate-700">
                  <div>
                    TXT record name: <code className="font-mono">{d.record_name}</code>
                  </div>
                  <div className="break-all">
                    Value: <code className="font-mono">{d.record_value}</code>
                  </div>
                  {d.last_error && <div className="mt-1 text-red-700">{d.last_error}</div>}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add} className="flex flex-wrap items-end gap-2" noValidate>
        <Field id="sso-domain" label="Add a domain" error={m.fieldErrors.domain} className="min-w-64 flex-1">
          <input
            id="sso-domain"
            value={domain}
            onChange={(e) => setDomain(e.target.value)}
            placeholder="example.com"
            className={inputClass}
            {...fieldAria("sso-domain", { error: m.fieldErrors.domain })}
          />
        </Field>
        <Button type="submit" disabled={m.pending || domain.trim() === ""}>
          {m.busy === "add" ? "Adding…" : "Add domain"}
        </Button>
      </form>
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.domain}?`}
          confirmLabel="Remove domain"
          tone="danger"
          pending={m.pending}
          onCancel={() => setRemoving(null)}
          onConfirm={async () => {
            await m.run(`remove-${removing.id}`, () =>
              api(org, `/api/v1/sso/domains/${removing.id}`, { method: "DELETE" }),
            );
            setRemoving(null);
          }}
        >
          People with addresses in {removing.domain} will no longer find or be provisioned by your SSO connection.
        </ConfirmDialog>
      )}
    </Card>
  );
}

function GroupRolesEditor({
  value,
  onChange,
  idPrefix,
}: {
  value: { group: string; role: string }[];
  onChange: (v: { group: string; role: string }[]) => void;
  idPrefix: string;
}) {
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-slate-700">IdP group → role</legend>
      <p className="text-xs text-slate-500">
        The highest matching role wins. Admin and approver from a group wait for an admin&apos;s confirmation.
      </p>
      {value.map((g, i) => (
        <div key={i} className="flex gap-2">
          <input
            aria-label={`Group ${i + 1}`}
            id={`${idPrefix}-group-${i}`}
            value={g.group}
            onChange={(e) => onChange(value.map((x, j) => (j === i ? { ...x, group: e.target.value } : x)))}
            className={inputClass}
            placeholder="group name"
          />
          <select
            aria-label={`Role for group ${i + 1}`}
            value={g.role}
            onChange={(e) => onChange(value.map((x, j) => (j === i ? { ...x, role: e.target.value } : x)))}
            className={cx(inputClass, "w-40")}
          >
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <Button variant="ghost" type="button" onClick={() => onChange(value.filter((_, j) => j !== i))}>
            Remove
          </Button>
        </div>
      ))}
      <Button variant="secondary" type="button" onClick={() => onChange([...value, { group: "", role: "viewer" }])}>
        Add mapping
      </Button>
    </fieldset>
  );
}

function ConnectionCard({
  org,
  origin,
  connection: c,
  justTested,
}: {
  org: string;
  origin: string;
  connection: SsoConnectionView;
  justTested: boolean;
}) {
  const m = useMutation();
  const [name, setName] = useState(c.name);
  const [defaultRole, setDefaultRole] = useState<string>(c.default_role);
  const [groups, setGroups] = useState<{ group: string; role: string }[]>(c.group_roles.map((g) => ({ ...g })));
  const [idpMfa, setIdpMfa] = useState(c.idp_mfa);
  const [deleting, setDeleting] = useState(false);
  const last = c.last_test as LastTest;
  const testHref = `/api/sso/start?${new URLSearchParams({ connection: c.id, test: "1", org }).toString()}`;

  return (
    <Card
      title={
        <span className="flex items-center gap-2">
          {c.name} <Badge tone="blue">{c.protocol.toUpperCase()}</Badge>
          {c.enabled ? <Badge tone="green">enabled</Badge> : <Badge>disabled</Badge>}
          {!c.tested && <Badge tone="amber">needs a test sign-in</Badge>}
        </span>
      }
    >
      <div className="space-y-4" data-testid={`sso-connection-${c.id}`}>
        {m.error && <Alert>{m.error}</Alert>}
        {m.notice && (
          <Alert tone="green" role="status">
            {m.notice}
          </Alert>
        )}
        <dl className="grid gap-2 text-sm md:grid-cols-2">
          {c.oidc && (
            <>
              <div>
                <dt className="text-slate-500">Issuer</dt>
                <dd className="break-all font-mono text-xs">{c.oidc.issuer}</dd>
              </div>
              <div>
                <dt className="text-slate-500">Client ID</dt>
                <dd className="break-all font-mono text-xs">{c.oidc.client_id}</dd>
              </div>
            </>
          )}
          {c.saml && (
            <>
              <div>
                <dt className="text-slate-500">IdP entity ID (issuer)</dt>
                <dd className="font-mono text-xs break-all">{c.saml.idp_issuer}</dd>
              </div>
              <div>
                <dt className="text-slate-500">IdP sign-in URL</dt>
                <dd className="font-mono text-xs break-all">{c.saml.entry_point}</dd>
              </div>
              <div>
                <dt className="text-slate-500">IdP-initiated sign-in</dt>
                <dd>{c.allow_idp_initiated ? "accepted" : "refused"}</dd>
              </div>
            </>
          )}
          {c.protocol === "oidc" ? (
            <div className="md:col-span-2">
              <dt className="text-slate-500">Redirect URI to register at your IdP</dt>
              <dd className="font-mono text-xs break-all" data-testid="redirect-uri">
                {origin}/api/sso/{c.id}/callback
              </dd>
            </div>
          ) : (
            <>
              <div>
                <dt className="text-slate-500">SP entity ID / metadata</dt>
                <dd className="font-mono text-xs break-all">
                  <a className="underline" href={`/api/sso/${c.id}/metadata`}>
                    {origin}/api/sso/{c.id}/metadata
                  </a>
                </dd>
              </div>
              <div>
                <dt className="text-slate-500">ACS URL (HTTP-POST)</dt>
                <dd className="font-mono text-xs break-all">
                  {origin}/api/sso/{c.id}/acs
                </dd>
              </div>
            </>
          )}
        </dl>

        <section aria-label="Last test sign-in" className="rounded-md border border-slate-200 p-3 text-sm">
          <div className="mb-2 flex flex-wrap items-center gap-2">
            <span className="font-medium">Test sign-in</span>
            {last?.ok === true && c.tested && <Badge tone="green">passed</Badge>}
            {last?.ok === true && !c.tested && <Badge tone="amber">settings changed since</Badge>}
            {last && last.ok === false && <Badge tone="red">failed</Badge>}
            {c.tested_at && <span className="text-xs text-slate-500">{formatUtc(c.tested_at)}</span>}
            <a
              href={testHref}
              className="ml-auto rounded-md bg-white px-3 py-2 text-sm font-medium text-slate-900 ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
            >
              Run a test sign-in
            </a>
          </div>
          {justTested && last && (
            <p className="mb-2 text-slate-700" role="status">
              {last.ok
                ? "The test sign-in passed. Review what the IdP sent, then enable the connection."
                : "The test sign-in failed."}
            </p>
          )}
          {last ? (
            <div className="space-y-1">
              {last.error && <p className="text-red-700">{last.error}</p>}
              {(last.problems ?? []).map((p) => (
                <p key={p} className="text-red-700">
                  {p}
                </p>
              ))}
              {last.email !== undefined && (
                <p>
                  E-mail: <span className="font-mono">{last.email ?? "(none)"}</span>
                  {last.email_verified === false && " (not verified by the IdP)"} · groups:{" "}
                  <span className="font-mono">{(last.groups ?? []).join(", ") || "(none)"}</span> · role:{" "}
                  <span className="font-medium">{last.mapped_role}</span>
                </p>
              )}
              {last.attributes && (
                <details>
                  <summary className="cursor-pointer text-slate-600">Everything the IdP sent</summary>
                  <pre className="mt-2 max-h-64 overflow-auto rounded bg-slate-50 p-2 text-xs">
                    {JSON.stringify(last.attributes, null, 2)}
                  </pre>
                </details>
              )}
            </div>
          ) : (
            <p className="text-slate-600">
              Not tested yet. A test sign-in goes to your IdP and back and shows what it sent; it signs nobody in.
            </p>
          )}
        </section>

        <form
          className="space-y-4"
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            const ok = await m.run(
              "save",
              () =>
                api(org, `/api/v1/sso/connections/${c.id}`, {
                  method: "PATCH",
                  body: { name: name.trim(), default_role: defaultRole, group_roles: groups, idp_mfa: idpMfa },
                }),
              { fields: /^(name|default_role|group_roles(\..*)?)$/ },
            );
            if (ok) m.setNotice("Saved.");
          }}
        >
          <div className="grid gap-4 md:grid-cols-2">
            <Field id={`name-${c.id}`} label="Name" error={m.fieldErrors.name}>
              <input
                id={`name-${c.id}`}
                value={name}
                onChange={(e) => setName(e.target.value)}
                className={inputClass}
                {...fieldAria(`name-${c.id}`, { error: m.fieldErrors.name })}
              />
            </Field>
            <Field id={`role-${c.id}`} label="Role for new people (no group matches)">
              <select
                id={`role-${c.id}`}
                value={defaultRole}
                onChange={(e) => setDefaultRole(e.target.value)}
                className={inputClass}
              >
                {ROLES.filter((r) => r === "viewer" || r === "auditor").map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            </Field>
          </div>
          <GroupRolesEditor value={groups} onChange={setGroups} idPrefix={c.id} />
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={idpMfa} onChange={(e) => setIdpMfa(e.target.checked)} />A fresh multi-factor
            sign-in at the IdP (amr / AuthnContext, within 10 minutes) satisfies this organization&apos;s MFA policy
          </label>
          {Object.entries(m.fieldErrors)
            .filter(([k]) => k.startsWith("group_roles"))
            .map(([k, v]) => (
              <p key={k} className="text-xs font-medium text-red-700">
                {k}: {v}
              </p>
            ))}
          <div className="flex flex-wrap gap-2">
            <Button type="submit" disabled={m.pending}>
              {m.busy === "save" ? "Saving…" : "Save"}
            </Button>
            {c.enabled ? (
              <Button
                type="button"
                variant="secondary"
                disabled={m.pending}
                onClick={() =>
                  m.run("toggle", () => api(org, `/api/v1/sso/connections/${c.id}/disable`, { method: "POST" }))
                }
              >
                {m.busy === "toggle" ? "Disabling…" : "Disable"}
              </Button>
            ) : (
              <Button
                type="button"
                variant="secondary"
                disabled={m.pending || !c.tested}
                title={c.tested ? undefined : "Run a successful test sign-in first"}
                onClick={() =>
                  m.run("toggle", () => api(org, `/api/v1/sso/connections/${c.id}/enable`, { method: "POST" }))
                }
              >
                {m.busy === "toggle" ? "Enabling…" : "Enable"}
              </Button>
            )}
            <Button type="button" variant="ghost" disabled={m.pending || c.enabled} onClick={() => setDeleting(true)}>
              Delete
            </Button>
          </div>
        </form>
      </div>
      {deleting && (
        <ConfirmDialog
          title={`Delete ${c.name}?`}
          confirmLabel="Delete connection"
          tone="danger"
          pending={m.pending}
          onCancel={() => setDeleting(false)}
          onConfirm={async () => {
            await m.run("delete", () => api(org, `/api/v1/sso/connections/${c.id}`, { method: "DELETE" }));
            setDeleting(false);
          }}
        >
          The accounts it created stay; their links to this IdP are removed.
        </ConfirmDialog>
      )}
    </Card>
  );
}

function NewConnectionCard({ org }: { org: string }) {
  const m = useMutation();
  const [protocol, setProtocol] = useState<"oidc" | "saml">("oidc");
  const [name, setName] = useState("");
  const [issuer, setIssuer] = useState("");
  const [clientId, setClientId] = useState("");
  const [secret, setSecret] = useState("");
  const [groupsClaim, setGroupsClaim] = useState("groups");
  const [entryPoint, setEntryPoint] = useState("");
  const [idpIssuer, setIdpIssuer] = useState("");
  const [cert, setCert] = useState("");
  const [idpInitiated, setIdpInitiated] = useState(false);
  const err = (k: string) => m.fieldErrors[k];

  function body() {
    if (protocol === "oidc") {
      return {
        protocol,
        name: name.trim(),
        oidc: { issuer: issuer.trim(), client_id: clientId.trim(), groups_claim: groupsClaim.trim() },
        client_secret: secret,
      };
    }
    return {
      protocol,
      name: name.trim(),
      saml: { entry_point: entryPoint.trim(), idp_issuer: idpIssuer.trim(), idp_certificate: cert.trim() },
      allow_idp_initiated: idpInitiated,
    };
  }

  return (
    <Card title="Add a connection">
      <form
        className="space-y-4"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const ok = await m.run(
            "create",
            () => api(org, "/api/v1/sso/connections", { method: "POST", body: body() }),
            {
              fields: /^(name|client_secret|allow_idp_initiated|url|(oidc|saml)\.\w+)$/,
            },
          );
          if (ok) {
            setName("");
            setSecret("");
            setCert("");
            m.setNotice(
              protocol === "oidc"
                ? "Connection added. Register its redirect URI at your IdP, then run a test sign-in."
                : "Connection added. Give your IdP its metadata URL (or entity ID and ACS URL), then run a test sign-in.",
            );
          }
        }}
      >
        {m.error && <Alert>{m.error}</Alert>}
        {m.notice && (
          <Alert tone="green" role="status">
            {m.notice}
          </Alert>
        )}
        <fieldset className="flex gap-4 text-sm">
          <legend className="sr-only">Protocol</legend>
          {(["oidc", "saml"] as const).map((p) => (
            <label key={p} className="flex items-center gap-2">
              <input type="radio" name="protocol" checked={protocol === p} onChange={() => setProtocol(p)} />
              {p === "oidc" ? "OpenID Connect" : "SAML 2.0"}
            </label>
          ))}
        </fieldset>
        <div className="grid gap-4 md:grid-cols-2">
          <Field id="new-name" label="Name" error={err("name")}>
            <input id="new-name" value={name} onChange={(e) => setName(e.target.value)} className={inputClass} />
          </Field>
          {protocol === "oidc" ? (
            <>
              <Field
                id="new-issuer"
                label="Issuer URL"
                hint="Its /.well-known/openid-configuration is read from here."
                error={err("oidc.issuer") ?? err("url")}
              >
                <input
                  id="new-issuer"
                  value={issuer}
                  onChange={(e) => setIssuer(e.target.value)}
                  placeholder="https://login.example.com"
                  className={inputClass}
                  {...fieldAria("new-issuer", { hint: true, error: err("oidc.issuer") ?? err("url") })}
                />
              </Field>
              <Field id="new-client" label="Client ID" error={err("oidc.client_id")}>
                <input
                  id="new-client"
                  value={clientId}
                  onChange={(e) => setClientId(e.target.value)}
                  className={inputClass}
                />
              </Field>
              <Field
                id="new-secret"
                label="Client secret"
                hint="Stored encrypted; never shown again."
                error={err("client_secret")}
              >
                <input
                  id="new-secret"
                  type="password"
                  autoComplete="off"
                  value={secret}
                  onChange={(e) => setSecret(e.target.value)}
                  className={inputClass}
                />
              </Field>
              <Field id="new-groups" label="Groups claim" error={err("oidc.groups_claim")}>
                <input
                  id="new-groups"
                  value={groupsClaim}
                  onChange={(e) => setGroupsClaim(e.target.value)}
                  className={inputClass}
                />
              </Field>
            </>
          ) : (
            <>
              <Field
                id="new-entry"
                label="IdP sign-in URL (HTTP-Redirect)"
                error={err("saml.entry_point") ?? err("url")}
              >
                <input
                  id="new-entry"
                  value={entryPoint}
                  onChange={(e) => setEntryPoint(e.target.value)}
                  className={inputClass}
                />
              </Field>
              <Field id="new-idp-issuer" label="IdP entity ID (issuer)" error={err("saml.idp_issuer")}>
                <input
                  id="new-idp-issuer"
                  value={idpIssuer}
                  onChange={(e) => setIdpIssuer(e.target.value)}
                  className={inputClass}
                />
              </Field>
              <Field
                id="new-cert"
                label="IdP signing certificate (PEM)"
                error={err("saml.idp_certificate")}
                className="md:col-span-2"
              >
                <textarea
                  id="new-cert"
                  rows={5}
                  value={cert}
                  onChange={(e) => setCert(e.target.value)}
                  className={cx(inputClass, "font-mono text-xs")}
                  placeholder="-----BEGIN CERTIFICATE-----"
                />
              </Field>
              <label className="flex items-center gap-2 text-sm md:col-span-2">
                <input type="checkbox" checked={idpInitiated} onChange={(e) => setIdpInitiated(e.target.checked)} />
                Accept IdP-initiated sign-in (weaker: no protection against login CSRF; off unless your IdP needs it)
              </label>
            </>
          )}
        </div>
        <Button type="submit" disabled={m.pending}>
          {m.busy === "create" ? "Adding…" : "Add connection"}
        </Button>
      </form>
    </Card>
  );
}

function EnforcementCard({ org, enforcement: e }: { org: string; enforcement: Enforcement }) {
  const m = useMutation();
  const [confirming, setConfirming] = useState(false);
  const set = (enabled: boolean) =>
    m.run("enforce", () => api(org, "/api/v1/sso/enforcement", { method: "PUT", body: { enabled } }));
  return (
    <Card title="SSO-only sign-in">
      <div className="space-y-3 text-sm">
        {m.error && <Alert>{m.error}</Alert>}
        <p className="text-slate-600">
          When on, members can act in this organization only in a session their SSO sign-in started: password and
          passkey sign-ins are refused here. Admins keep break-glass access with a recovery code; each use is audited
          and every admin is notified.
        </p>
        <p>
          Status: {e.enabled ? <Badge tone="green">on</Badge> : <Badge>off</Badge>}
          {e.enabled_at && <span className="ml-2 text-xs text-slate-500">since {formatUtc(e.enabled_at)}</span>}
        </p>
        {!e.enabled && e.blocked_by && <p className="text-amber-800">{e.blocked_by}</p>}
        {e.enabled ? (
          <Button variant="secondary" disabled={m.pending} onClick={() => set(false)}>
            {m.busy === "enforce" ? "Turning off…" : "Turn off SSO-only"}
          </Button>
        ) : (
          <Button disabled={m.pending || e.blocked_by !== null} onClick={() => setConfirming(true)}>
            Turn on SSO-only
          </Button>
        )}
      </div>
      {confirming && (
        <ConfirmDialog
          title="Require SSO for everyone?"
          confirmLabel="Turn on SSO-only"
          tone="danger"
          pending={m.pending}
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            await set(true);
            setConfirming(false);
          }}
        >
          Password and passkey sessions stop working in this organization at their next request. Make sure every admin
          holds recovery codes for break-glass access.
        </ConfirmDialog>
      )}
    </Card>
  );
}

function RoleRequestsCard({ org, requests }: { org: string; requests: RoleRequestView[] }) {
  const m = useMutation();
  return (
    <Card title="Roles waiting for confirmation">
      {m.error && <Alert>{m.error}</Alert>}
      {requests.length === 0 ? (
        <p className="text-sm text-slate-600">
          None. When your IdP&apos;s groups map someone to admin or approver, the grant waits here for you.
        </p>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" aria-label="Role requests">
          {requests.map((r) => (
            <li key={r.user_id} className="flex flex-wrap items-center gap-2 py-2">
              <span className="font-medium">{r.email}</span>
              <span className="text-slate-600">
                {r.current_role} → <strong>{r.requested_role}</strong> (groups: {r.groups.join(", ") || "none"})
              </span>
              <span className="ml-auto flex gap-2">
                <Button
                  disabled={m.pending}
                  onClick={() =>
                    m.run(`a-${r.user_id}`, () =>
                      api(org, `/api/v1/sso/role-requests/${r.user_id}`, {
                        method: "POST",
                        body: { decision: "approve" },
                      }),
                    )
                  }
                >
                  Grant {r.requested_role}
                </Button>
                <Button
                  variant="secondary"
                  disabled={m.pending}
                  onClick={() =>
                    m.run(`r-${r.user_id}`, () =>
                      api(org, `/api/v1/sso/role-requests/${r.user_id}`, {
                        method: "POST",
                        body: { decision: "reject" },
                      }),
                    )
                  }
                >
                  Decline
                </Button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
