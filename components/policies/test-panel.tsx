"use client";

import { useState } from "react";
import type { RuleInput } from "@/lib/policy/schemas";
import type { SimulationResult } from "@/lib/policy/simulate";
import { ApiError, api, describeError, describeErrorForForm } from "../api-client";
import { EffectBadge, RiskBadge } from "../firewall/badges";
import { Alert, Badge, Button, Card, cx, inputClass } from "../ui";

export type AgentChoice = { slug: string; environment: string };

const REGISTRY_LABEL: Record<string, string> = {
  allowed: "allowed by the agent's registry",
  require_approval: "needs approval by the agent's registry",
  denied: "denied by the agent's registry",
  unknown: "not in the agent's registry (refused)",
  not_checked: "registry not checked (no agent chosen)",
};

function parseObject(text: string, what: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${e instanceof Error ? e.message : "parse error"}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error(`${what} must be a JSON object ({ … })`);
  return v as Record<string, unknown>;
}

/**
 * Runs a sample action through the editor's rules (or the active policy)
 * without recording anything: the decision, the deciding rule, and what every
 * rule evaluated to.
 */
export function TestPanel({
  org,
  agents,
  rules,
  onPolicyErrors,
}: {
  org: string;
  agents: AgentChoice[];
  /** The editor's rules; null tests the active policy. */
  rules: (() => RuleInput[]) | null;
  /** Compile errors of the editor's rules found while testing. */
  onPolicyErrors?: (errors: { path: string; message: string }[]) => void;
}) {
  const [agent, setAgent] = useState("");
  const [env, setEnv] = useState("production");
  const [tool, setTool] = useState("payments");
  const [operation, setOperation] = useState("create_payment");
  const [params, setParams] = useState('{\n  "amount": 900,\n  "currency": "EUR"\n}');
  const [context, setContext] = useState("{}");
  const [inputError, setInputError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<SimulationResult | null>(null);
  const [pending, setPending] = useState(false);

  async function run(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setInputError(null);
    setError(null);
    let action;
    try {
      action = {
        ...(agent ? { agent } : { env }),
        tool: tool.trim(),
        operation: operation.trim(),
        params: parseObject(params, "Parameters"),
        context: parseObject(context, "Context"),
      };
    } catch (err) {
      setInputError(err instanceof Error ? err.message : String(err));
      return;
    }
    setPending(true);
    try {
      const r = await api<SimulationResult>(org, "/api/v1/policies/simulate", {
        method: "POST",
        body: { ...(rules ? { rules: rules() } : {}), action },
      });
      setResult(r);
      onPolicyErrors?.([]);
    } catch (err) {
      setResult(null);
      const ruleErrors =
        err instanceof ApiError ? (err.problem.errors ?? []).filter((f) => f.path.startsWith("rules.")) : [];
      if (ruleErrors.length > 0 && onPolicyErrors) {
        onPolicyErrors(ruleErrors);
        setError(describeErrorForForm(err, (path) => path.startsWith("rules."), "marked in the editor above"));
      } else {
        setError(describeError(err));
      }
    } finally {
      setPending(false);
    }
  }

  const decidingIndex = result?.decision.rule?.index ?? null;
  return (
    <Card title={rules ? "Test the draft" : "Test the active policy"}>
      <form onSubmit={run} className="space-y-3" aria-label="Test a sample action" noValidate>
        <p className="text-xs text-slate-500">
          Nothing is recorded; no agent is involved. Choose an agent to apply its environment and tool registry too.
        </p>
        <div className="grid gap-3 md:grid-cols-2">
          <div>
            <label htmlFor="sim-agent" className="block text-sm font-medium text-slate-700">
              Agent
            </label>
            <select
              id="sim-agent"
              value={agent}
              onChange={(e) => setAgent(e.target.value)}
              className={cx(inputClass, "mt-1")}
            >
              <option value="">None (policy only)</option>
              {agents.map((a) => (
                <option key={a.slug} value={a.slug}>
                  {a.slug} · {a.environment}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="sim-env" className="block text-sm font-medium text-slate-700">
              Environment
            </label>
            <select
              id="sim-env"
              value={agent ? (agents.find((a) => a.slug === agent)?.environment ?? env) : env}
              disabled={agent !== ""}
              onChange={(e) => setEnv(e.target.value)}
              className={cx(inputClass, "mt-1")}
            >
              <option value="production">production</option>
              <option value="development">development</option>
            </select>
          </div>
          <div>
            <label htmlFor="sim-tool" className="block text-sm font-medium text-slate-700">
              Tool
            </label>
            <input
              id="sim-tool"
              value={tool}
              onChange={(e) => setTool(e.target.value)}
              className={cx(inputClass, "mt-1 font-mono")}
            />
          </div>
          <div>
            <label htmlFor="sim-operation" className="block text-sm font-medium text-slate-700">
              Operation
            </label>
            <input
              id="sim-operation"
              value={operation}
              onChange={(e) => setOperation(e.target.value)}
              className={cx(inputClass, "mt-1 font-mono")}
            />
          </div>
          <div>
            <label htmlFor="sim-params" className="block text-sm font-medium text-slate-700">
              Parameters (JSON)
            </label>
            <textarea
              id="sim-params"
              rows={5}
              value={params}
              onChange={(e) => setParams(e.target.value)}
              spellCheck={false}
              className={cx(inputClass, "mt-1 font-mono text-xs")}
            />
          </div>
          <div>
            <label htmlFor="sim-context" className="block text-sm font-medium text-slate-700">
              Context (JSON)
            </label>
            <textarea
              id="sim-context"
              rows={5}
              value={context}
              onChange={(e) => setContext(e.target.value)}
              spellCheck={false}
              className={cx(inputClass, "mt-1 font-mono text-xs")}
            />
          </div>
        </div>
        {inputError && <Alert>{inputError}</Alert>}
        {error && <Alert>{error}</Alert>}
        <Button type="submit" disabled={pending}>
          {pending ? "Testing…" : "Run test"}
        </Button>
      </form>

      {result && (
        <div
          className="mt-5 space-y-3 border-t border-slate-200 pt-4"
          data-testid="simulation-result"
          aria-live="polite"
        >
          <div className="flex flex-wrap items-center gap-2">
            <span className="text-sm font-medium">Decision:</span>
            <EffectBadge effect={result.decision.effect} />
            <RiskBadge risk={result.decision.risk_level} />
            <span className="text-xs text-slate-500">
              {result.policy.source === "draft" ? "editor draft" : `active policy v${result.policy.version ?? "?"}`} ·{" "}
              {REGISTRY_LABEL[result.registry] ?? result.registry}
            </span>
          </div>
          <p className="text-sm text-slate-700" data-testid="simulation-reason">
            {result.decision.reason}
          </p>
          <p className="text-sm" data-testid="simulation-rule">
            {result.decision.rule ? (
              <>
                Matching rule:{" "}
                <strong>
                  #{result.decision.rule.index + 1} {result.decision.rule.name}
                </strong>
              </>
            ) : result.decision.decided_by === "registry" ? (
              "Decided by the agent's tool registry before any rule."
            ) : (
              "No rule matched: default deny."
            )}
            {result.decision.effect === "require_approval" && result.decision.approvals_required !== null && (
              <span className="text-slate-600">
                {" "}
                · {result.decision.approvals_required} approval{result.decision.approvals_required === 1 ? "" : "s"},
                expires after {Math.round((result.decision.approval_ttl_seconds ?? 0) / 60)} min
              </span>
            )}
          </p>
          <table className="w-full text-left text-xs" aria-label="Rule trace">
            <thead className="uppercase text-slate-500">
              <tr>
                <th className="py-1 pr-3 font-medium">#</th>
                <th className="py-1 pr-3 font-medium">Rule</th>
                <th className="py-1 pr-3 font-medium">Effect</th>
                <th className="py-1 font-medium">Condition</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {result.trace.map((t) => {
                const deciding = decidingIndex === t.index;
                const shadowed = decidingIndex !== null && t.index > decidingIndex;
                return (
                  <tr
                    key={t.index}
                    className={cx(deciding && "bg-emerald-50", shadowed && "text-slate-400")}
                    data-testid={`trace-${t.index}`}
                  >
                    <td className="py-1 pr-3 tabular-nums">{t.index + 1}</td>
                    <td className="py-1 pr-3">
                      {t.name} {deciding && <Badge tone="green">decides</Badge>}
                    </td>
                    <td className="py-1 pr-3">{t.effect}</td>
                    <td className="py-1">
                      {t.result === "error" ? (
                        <span className="text-red-700">error: {t.error}</span>
                      ) : (
                        <span>
                          {t.result}
                          {shadowed && t.result === "true" ? " (not reached: an earlier rule decided)" : ""}
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
