"use client";

import { useState } from "react";
import { api, describeError } from "../api-client";
import { Alert, Button, Card, inputClass } from "../ui";

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
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
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
    setPending(true);
    setError(null);
    try {
      const res = await api<{ token: string; key: { name: string } }>(org, "/api/v1/auth/api-keys", {
        method: "POST",
        body,
      });
      formEl.reset();
      setScopes(AGENT_PRESET.filter((s) => grantableScopes.includes(s)));
      setAgentId("");
      setEnvironment("live");
      onCreated(res.key.name, res.token);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <Card title="Create a key">
      <form onSubmit={onSubmit} className="space-y-4" aria-label="Create a key">
        {error && <Alert>{error}</Alert>}
        <div className="grid gap-4 md:grid-cols-2">
          <div>
            <label htmlFor="key-agent" className="block text-sm font-medium text-slate-700">
              Agent
            </label>
            <select
              id="key-agent"
              value={agentId}
              onChange={(e) => {
                setAgentId(e.target.value);
                const picked = agents.find((a) => a.id === e.target.value);
                // The key's environment must match the agent's; pick the one that works.
                if (picked) setEnvironment(picked.environment === "production" ? "live" : "test");
              }}
              aria-describedby="key-agent-hint"
              className={`${inputClass} mt-1`}
            >
              <option value="">Not bound to an agent (scripts, automation)</option>
              {agents.map((a) => (
                <option key={a.id} value={a.id} disabled={a.disabled}>
                  {a.slug} · {a.environment}
                  {a.disabled ? " (disabled)" : ""}
                </option>
              ))}
            </select>
            <p id="key-agent-hint" className="mt-1 text-xs text-slate-500">
              Actions submitted with a bound key are that agent&apos;s: its tool registry and limits apply.
            </p>
          </div>
        </div>
        <div className="grid gap-4 md:grid-cols-3">
          <div>
            <label htmlFor="key-name" className="block text-sm font-medium text-slate-700">
              Name
            </label>
            <input
              id="key-name"
              name="name"
              required
              maxLength={100}
              placeholder="billing-agent (prod)"
              className={`${inputClass} mt-1`}
            />
          </div>
          <div>
            <label htmlFor="key-env" className="block text-sm font-medium text-slate-700">
              Environment
            </label>
            <select
              id="key-env"
              name="environment"
              value={environment}
              onChange={(e) => setEnvironment(e.target.value === "test" ? "test" : "live")}
              aria-describedby={mismatch ? "key-env-warning" : undefined}
              className={`${inputClass} mt-1`}
            >
              <option value="live">live (wdn_live_…)</option>
              <option value="test">test (wdn_test_…)</option>
            </select>
            {mismatch && (
              <p id="key-env-warning" className="mt-1 text-xs font-medium text-amber-800">
                {agent.slug} runs in {agent.environment}: it needs a{" "}
                {agent.environment === "production" ? "live" : "test"} key.
              </p>
            )}
          </div>
          <div>
            <label htmlFor="key-expiry" className="block text-sm font-medium text-slate-700">
              Expires (optional)
            </label>
            <input id="key-expiry" name="expires_at" type="datetime-local" className={`${inputClass} mt-1`} />
          </div>
        </div>
        <fieldset>
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
        </fieldset>
        <div className="grid gap-4 md:grid-cols-2">
          <div>
            <label htmlFor="key-ips" className="block text-sm font-medium text-slate-700">
              IP allowlist (optional)
            </label>
            <textarea
              id="key-ips"
              name="ip_allowlist"
              rows={2}
              placeholder="203.0.113.0/24, 2001:db8::/32"
              className={`${inputClass} mt-1 font-mono`}
            />
            <p className="mt-1 text-xs text-slate-500">IPv4/IPv6 addresses or CIDRs; empty allows any address.</p>
          </div>
          <div>
            <label htmlFor="key-rate" className="block text-sm font-medium text-slate-700">
              Rate limit per minute (optional)
            </label>
            <input
              id="key-rate"
              name="rate_limit_per_minute"
              type="number"
              min={1}
              max={100000}
              className={`${inputClass} mt-1`}
            />
          </div>
        </div>
        <Button type="submit" disabled={pending || scopes.length === 0}>
          {pending ? "Creating…" : "Create key"}
        </Button>
      </form>
    </Card>
  );
}
