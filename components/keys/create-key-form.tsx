"use client";

import { useState } from "react";
import { api } from "../api-client";
import { beginOrgStepUp, stepUpHeaders, useStepUp } from "../step-up";
import { useMutation } from "../use-mutation";
import { Alert, Button, Card, Field, cx, fieldAria, inputClass } from "../ui";

const AGENT_PRESET = ["actions:submit", "actions:read"];

export type AgentOption = {
  id: string;
  slug: string;
  name: string;
  environment: "development" | "production";
  disabled: boolean;
};

export function CreateKeyForm({
  org,
  grantableScopes,
  agents,
  initialAgentId,
  onCreated,
}: {
  org: string;
  grantableScopes: string[];
  agents: AgentOption[];
  initialAgentId?: string;
  onCreated: (name: string, token: string) => void;
}) {
  const { error, pending, fieldErrors, run } = useMutation({ refresh: false });
  const stepUp = useStepUp();
  const [scopes, setScopes] = useState<string[]>(AGENT_PRESET.filter((s) => grantableScopes.includes(s)));
  const initialAgent = agents.find((a) => a.id === initialAgentId);
  const [agentId, setAgentId] = useState(initialAgent?.id ?? "");
  const [environment, setEnvironment] = useState<"live" | "test">(
    initialAgent?.environment === "development" ? "test" : "live",
  );
  const agent = agents.find((a) => a.id === agentId);
  const mismatch = agent && (agent.environment === "production") !== (environment === "live");

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const expires = String(form.get("expires_at") ?? "");
    const rate = String(form.get("rate_limit_per_minute") ?? "").trim();
    const body = {
      name: String(form.get("name") ?? ""),
      environment,
      scopes,
      expires_at: expires ? new Date(expires).toISOString() : null,
      ip_allowlist: String(form.get("ip_allowlist") ?? "")
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean),
      rate_limit_per_minute: rate ? Number(rate) : null,
      agent_id: agentId || null,
    };
    const res = await run(
      "create",
      () =>
        stepUp.withStepUp(
          (stepUpId) =>
            api<{ token: string; key: { name: string } }>(org, "/api/v1/auth/api-keys", {
              method: "POST",
              body,
              headers: stepUpHeaders(stepUpId),
            }),
          beginOrgStepUp(org, "keys.create"),
        ),
      { fields: /^(name|environment|scopes|expires_at|ip_allowlist|rate_limit_per_minute|agent_id)(\.\d+)?$/ },
    );
    if (!res) return;
    formEl.reset();
    setScopes(AGENT_PRESET.filter((s) => grantableScopes.includes(s)));
    setAgentId("");
    setEnvironment("live");
    onCreated(res.key.name, res.token);
  }

  const ipError = Object.entries(fieldErrors).find(([p]) => p.startsWith("ip_allowlist"))?.[1];

  return (
    <Card title="Create a key">
      <form onSubmit={onSubmit} className="space-y-4" aria-label="Create a key" noValidate>
        {error && <Alert>{error}</Alert>}
        <div className="grid gap-4 md:grid-cols-2">
          <Field
            id="key-agent"
            label="Agent"
            hint="Actions submitted with a bound key are that agent's: its tool registry and limits apply."
            error={fieldErrors.agent_id}
          >
            <select
              id="key-agent"
              value={agentId}
              onChange={(e) => {
                setAgentId(e.target.value);
                const picked = agents.find((a) => a.id === e.target.value);
                // The key's environment must match the agent's; pick the one that works.
                if (picked) setEnvironment(picked.environment === "production" ? "live" : "test");
              }}
              className={inputClass}
              {...fieldAria("key-agent", { hint: true, error: fieldErrors.agent_id })}
            >
              <option value="">Not bound to an agent (scripts, automation)</option>
              {agents.map((a) => (
                <option key={a.id} value={a.id} disabled={a.disabled}>
                  {a.slug} · {a.environment}
                  {a.disabled ? " (disabled)" : ""}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <div className="grid gap-4 md:grid-cols-3">
          <Field id="key-name" label="Name" error={fieldErrors.name}>
            <input
              id="key-name"
              name="name"
              required
              maxLength={100}
              placeholder="billing-agent (prod)"
              className={inputClass}
              {...fieldAria("key-name", { error: fieldErrors.name })}
            />
          </Field>
          <Field
            id="key-env"
            label="Environment"
            hint={
              mismatch
                ? `${agent.slug} runs in ${agent.environment}: it needs a ${agent.environment === "production" ? "live" : "test"} key.`
                : undefined
            }
            error={fieldErrors.environment}
          >
            <select
              id="key-env"
              name="environment"
              value={environment}
              onChange={(e) => setEnvironment(e.target.value === "test" ? "test" : "live")}
              className={inputClass}
              {...fieldAria("key-env", { hint: Boolean(mismatch), error: fieldErrors.environment })}
            >
              <option value="live">live (wdn_live_…)</option>
              <option value="test">test (wdn_test_…)</option>
            </select>
          </Field>
          <Field id="key-expiry" label="Expires (optional)" error={fieldErrors.expires_at}>
            <input
              id="key-expiry"
              name="expires_at"
              type="datetime-local"
              className={inputClass}
              {...fieldAria("key-expiry", { error: fieldErrors.expires_at })}
            />
          </Field>
        </div>
        <fieldset aria-describedby={fieldErrors.scopes ? "key-scopes-error" : undefined}>
          <legend className="text-sm font-medium text-slate-700">Scopes</legend>
          <p className="text-xs text-slate-500">Agents usually need actions:submit and actions:read.</p>
          <div className="mt-2 grid gap-1 sm:grid-cols-2 md:grid-cols-4">
            {grantableScopes.map((s) => (
              <label key={s} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={scopes.includes(s)}
                  onChange={(e) => setScopes((cur) => (e.target.checked ? [...cur, s] : cur.filter((x) => x !== s)))}
                />
                <span className="font-mono text-xs">{s}</span>
              </label>
            ))}
          </div>
          {fieldErrors.scopes && (
            <p id="key-scopes-error" className="mt-1 text-xs font-medium text-red-700">
              {fieldErrors.scopes}
            </p>
          )}
        </fieldset>
        <div className="grid gap-4 md:grid-cols-2">
          <Field
            id="key-ips"
            label="IP allowlist (optional)"
            hint="IPv4/IPv6 addresses or CIDRs; empty allows any address."
            error={ipError}
          >
            <textarea
              id="key-ips"
              name="ip_allowlist"
              rows={2}
              placeholder="203.0.113.0/24, 2001:db8::/32"
              className={cx(inputClass, "font-mono")}
              {...fieldAria("key-ips", { hint: true, error: ipError })}
            />
          </Field>
          <Field id="key-rate" label="Rate limit per minute (optional)" error={fieldErrors.rate_limit_per_minute}>
            <input
              id="key-rate"
              name="rate_limit_per_minute"
              type="number"
              min={1}
              max={100000}
              className={inputClass}
              {...fieldAria("key-rate", { error: fieldErrors.rate_limit_per_minute })}
            />
          </Field>
        </div>
        <Button type="submit" disabled={pending || scopes.length === 0}>
          {pending ? "Creating…" : "Create key"}
        </Button>
      </form>
      {stepUp.dialog}
    </Card>
  );
}
