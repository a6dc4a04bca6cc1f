"use client";

import { useState } from "react";
import type { AgentView } from "@/lib/agents/agents";
import { api } from "../api-client";
import { useMutation } from "../use-mutation";
import { Alert, Button, Field, cx, fieldAria, inputClass } from "../ui";
import { EMPTY_REGISTRY, LISTS, ToolListEditor, type ListName, type Registry } from "./tool-list-editor";

type Env = "development" | "production";
const ENVS: { value: Env; label: string; hint: string }[] = [
  { value: "production", label: "Production", hint: "needs a live key (wdn_live_…)" },
  { value: "development", label: "Development", hint: "needs a test key (wdn_test_…)" },
];

function copy(r: {
  allowed: readonly string[];
  require_approval: readonly string[];
  denied: readonly string[];
}): Registry {
  return { allowed: [...r.allowed], require_approval: [...r.require_approval], denied: [...r.denied] };
}

function numberOrNull(s: string): number | null {
  const t = s.trim();
  return t === "" ? null : Number(t);
}

/** Creates an agent, or edits one (name, environment, both environments' tool registries, limits). */
export function AgentForm({
  org,
  agent,
  onSaved,
  onCancel,
}: {
  org: string;
  agent?: AgentView;
  onSaved: (agent: AgentView) => void;
  onCancel?: () => void;
}) {
  const editing = agent !== undefined;
  const [slug, setSlug] = useState("");
  const [name, setName] = useState(agent?.name ?? "");
  const [environment, setEnvironment] = useState<Env>(agent?.environment ?? "production");
  const [registries, setRegistries] = useState<Record<Env, Registry>>({
    production: copy(agent?.tools_by_environment.production ?? EMPTY_REGISTRY),
    development: copy(agent?.tools_by_environment.development ?? EMPTY_REGISTRY),
  });
  const [rate, setRate] = useState(agent?.rate_limit_per_minute?.toString() ?? "");
  const [budget, setBudget] = useState(agent?.daily_budget?.toString() ?? "");
  const { error, fieldErrors: errors, pending, run } = useMutation({ refresh: false });

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const common = {
      name,
      environment,
      tools_by_environment: registries,
      rate_limit_per_minute: numberOrNull(rate),
      daily_budget: numberOrNull(budget),
    };
    const saved = await run(
      "save",
      () =>
        editing
          ? api<AgentView>(org, `/api/v1/agents/${agent.slug}`, { method: "PATCH", body: common })
          : api<AgentView>(org, "/api/v1/agents", { method: "POST", body: { slug, ...common } }),
      {
        fields:
          /^(slug|name|environment|rate_limit_per_minute|daily_budget|tools_by_environment\.(development|production)\.(allowed|require_approval|denied)(\.\d+)?)$/,
      },
    );
    if (saved) onSaved(saved);
  }

  /** Errors of one environment's lists ("tools_by_environment.production.allowed.2"). */
  function listErrors(env: Env): Partial<Record<ListName, string>> {
    const out: Partial<Record<ListName, string>> = {};
    for (const [path, message] of Object.entries(errors)) {
      const m = new RegExp(`^tools_by_environment\\.${env}\\.(allowed|require_approval|denied)(?:\\.(\\d+))?$`).exec(
        path,
      );
      if (!m) continue;
      const list = m[1] as ListName;
      const tool = m[2] !== undefined ? registries[env][list][Number(m[2])] : undefined;
      out[list] ??= tool ? `“${tool}”: ${message}` : message;
    }
    return out;
  }

  const formName = editing ? `Edit agent ${agent.slug}` : "Create an agent";
  return (
    <form onSubmit={onSubmit} className="space-y-5" aria-label={formName} noValidate>
      {error && <Alert>{error}</Alert>}
      <div className="grid gap-4 md:grid-cols-2">
        {!editing && (
          <Field
            id="agent-slug"
            label="Slug"
            hint="Lowercase letters, digits and hyphens; agents and policies refer to it. Cannot be changed later."
            error={errors.slug}
          >
            <input
              id="agent-slug"
              value={slug}
              onChange={(e) => setSlug(e.target.value)}
              required
              maxLength={50}
              placeholder="billing-bot"
              autoComplete="off"
              className={cx(inputClass, "font-mono")}
              {...fieldAria("agent-slug", { hint: true, error: errors.slug })}
            />
          </Field>
        )}
        <Field id="agent-name" label="Name" error={errors.name}>
          <input
            id="agent-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={200}
            placeholder="Billing assistant"
            className={inputClass}
            {...fieldAria("agent-name", { error: errors.name })}
          />
        </Field>
      </div>

      <fieldset>
        <legend className="text-sm font-medium text-slate-700">Environment</legend>
        <div className="mt-2 flex flex-wrap gap-4">
          {ENVS.map((env) => (
            <label key={env.value} className="flex items-center gap-2 text-sm">
              <input
                type="radio"
                name="environment"
                value={env.value}
                checked={environment === env.value}
                onChange={() => setEnvironment(env.value)}
              />
              <span>
                {env.label} <span className="text-xs text-slate-500">({env.hint})</span>
              </span>
            </label>
          ))}
        </div>
        {errors.environment && <p className="mt-1 text-xs font-medium text-red-700">{errors.environment}</p>}
        {editing && environment !== agent.environment && (
          <p
            className="mt-2 rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-900 ring-1 ring-inset ring-amber-200"
            role="note"
          >
            Switching to {environment} puts the {environment} registry below in force and changes which keys work: a{" "}
            {environment} agent accepts only {environment === "production" ? "live" : "test"} keys. Its existing{" "}
            {agent.environment === "production" ? "live" : "test"} keys stop working.
          </p>
        )}
      </fieldset>

      {ENVS.map((env) => (
        <section key={env.value} aria-label={`${env.label} tool registry`} className="space-y-2">
          <h3 className="flex items-center gap-2 text-sm font-semibold text-slate-900">
            {env.label} tool registry
            {env.value === environment ? (
              <span className="rounded-full bg-slate-900 px-2 py-0.5 text-xs font-medium text-white">in force</span>
            ) : (
              <span className="text-xs font-normal text-slate-500">used if the agent switches to {env.value}</span>
            )}
          </h3>
          <ToolListEditor
            label={env.value}
            value={registries[env.value]}
            onChange={(next) => setRegistries((cur) => ({ ...cur, [env.value]: next }))}
            errors={listErrors(env.value)}
          />
        </section>
      ))}
      <p className="text-xs text-slate-500">
        A tool in none of the lists is refused. {LISTS.map((l) => `${l.label}: ${l.hint.toLowerCase()}`).join(" ")}
      </p>

      <div className="grid gap-4 md:grid-cols-2">
        <Field
          id="agent-rate"
          label="Rate limit per minute (optional)"
          hint="Actions this agent may submit per minute, across its keys."
          error={errors.rate_limit_per_minute}
        >
          <input
            id="agent-rate"
            type="number"
            min={1}
            max={100000}
            value={rate}
            onChange={(e) => setRate(e.target.value)}
            className={inputClass}
            {...fieldAria("agent-rate", { hint: true, error: errors.rate_limit_per_minute })}
          />
        </Field>
        <Field
          id="agent-budget"
          label="Daily budget (optional)"
          hint="Actions this agent may submit per 24 hours."
          error={errors.daily_budget}
        >
          <input
            id="agent-budget"
            type="number"
            min={1}
            max={10000000}
            value={budget}
            onChange={(e) => setBudget(e.target.value)}
            className={inputClass}
            {...fieldAria("agent-budget", { hint: true, error: errors.daily_budget })}
          />
        </Field>
      </div>

      <div className="flex gap-3">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : editing ? "Save changes" : "Create agent"}
        </Button>
        {onCancel && (
          <Button type="button" variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
        )}
      </div>
    </form>
  );
}
