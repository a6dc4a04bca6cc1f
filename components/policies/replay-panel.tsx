"use client";

import Link from "next/link";
import { useState } from "react";
import type { ReplayResult } from "@/lib/policy/replay";
import { api, describeError } from "../api-client";
import { EffectBadge } from "../firewall/badges";
import { Alert, Button, Card, cx, formatUtc, inputClass } from "../ui";

/** Re-decides the organization's recent actions with a saved version: which decisions would change. */
export function ReplayPanel({ org, version }: { org: string; version: number | null }) {
  const [limit, setLimit] = useState("100");
  const [result, setResult] = useState<ReplayResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function run(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (version === null) return;
    setPending(true);
    setError(null);
    try {
      setResult(
        await api<ReplayResult>(org, `/api/v1/policies/${version}/replay`, {
          method: "POST",
          body: { limit: Number(limit) },
        }),
      );
    } catch (err) {
      setResult(null);
      setError(describeError(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <Card title="Replay recent actions">
      {version === null ? (
        <p className="text-sm text-slate-600">
          Save the editor as a draft first: replay runs a saved version against recorded actions.
        </p>
      ) : (
        <form onSubmit={run} className="flex flex-wrap items-end gap-3" aria-label="Replay recent actions">
          <p className="w-full text-xs text-slate-500">
            Decides the last actions again with v{version} (original parameters, each agent&apos;s current registry) and
            lists what would change. Nothing is written.
          </p>
          <div>
            <label htmlFor="replay-limit" className="block text-sm font-medium text-slate-700">
              Actions to replay
            </label>
            <input
              id="replay-limit"
              type="number"
              min={1}
              max={1000}
              value={limit}
              onChange={(e) => setLimit(e.target.value)}
              className={cx(inputClass, "mt-1 w-32")}
            />
          </div>
          <Button type="submit" disabled={pending}>
            {pending ? "Replaying…" : `Replay against v${version}`}
          </Button>
        </form>
      )}
      {error && (
        <div className="mt-3">
          <Alert>{error}</Alert>
        </div>
      )}
      {result && (
        <div className="mt-4 space-y-3" data-testid="replay-result" aria-live="polite">
          <p className="text-sm text-slate-700">
            v{result.version}: {result.evaluated} action{result.evaluated === 1 ? "" : "s"} re-decided,{" "}
            <strong>{result.changed.length} would change</strong>, {result.unchanged} unchanged
            {result.skipped_payload_expired > 0
              ? `, ${result.skipped_payload_expired} skipped (parameters removed by retention)`
              : ""}
            .
          </p>
          {result.changed.length > 0 && (
            <div className="overflow-x-auto">
              <table className="w-full text-left text-xs">
                <thead className="uppercase text-slate-500">
                  <tr>
                    <th className="py-1 pr-3 font-medium">Action</th>
                    <th className="py-1 pr-3 font-medium">Agent</th>
                    <th className="py-1 pr-3 font-medium">Was</th>
                    <th className="py-1 font-medium">Would be</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {result.changed.map((c) => (
                    <tr key={c.action_id} className="align-top">
                      <td className="py-1 pr-3">
                        <Link href={`/${org}/actions/${c.action_id}`} className="font-mono underline">
                          {c.tool}.{c.operation}
                        </Link>
                        <div className="text-slate-500">{formatUtc(c.created_at)}</div>
                      </td>
                      <td className="py-1 pr-3">{c.agent}</td>
                      <td className="py-1 pr-3">
                        <EffectBadge effect={c.before.effect} /> {c.before.risk_level}
                        <div className="text-slate-500">
                          {c.before.rule ?? "no rule"}
                          {c.before.policy_version ? ` (v${c.before.policy_version})` : ""}
                        </div>
                      </td>
                      <td className="py-1">
                        <EffectBadge effect={c.after.effect} /> {c.after.risk_level}
                        <div className="text-slate-500">{c.after.rule ?? "no rule"}</div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </Card>
  );
}
