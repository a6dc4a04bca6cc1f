"use client";

import Link from "next/link";
import { useState } from "react";
import type { ReplayResult } from "@/lib/policy/replay";
import { api } from "../api-client";
import { Table } from "../table";
import { useMutation } from "../use-mutation";
import { EffectBadge } from "../firewall/badges";
import { Alert, Button, Card, Field, cx, fieldAria, formatUtc, inputClass } from "../ui";

/** Re-decides the organization's recent actions with a saved version: which decisions would change. */
export function ReplayPanel({ org, version }: { org: string; version: number | null }) {
  const [limit, setLimit] = useState("100");
  const [result, setResult] = useState<ReplayResult | null>(null);
  const { error, pending, fieldErrors, run } = useMutation({ refresh: false });

  async function replay(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (version === null) return;
    setResult(null);
    const r = await run(
      "replay",
      () =>
        api<ReplayResult>(org, `/api/v1/policies/${version}/replay`, {
          method: "POST",
          body: { limit: Number(limit) },
        }),
      { fields: /^limit$/ },
    );
    if (r) setResult(r);
  }

  return (
    <Card title="Replay recent actions">
      {version === null ? (
        <p className="text-sm text-slate-600">
          Save the editor as a draft first: replay runs a saved version against recorded actions.
        </p>
      ) : (
        <form onSubmit={replay} className="flex flex-wrap items-end gap-3" aria-label="Replay recent actions">
          <p className="w-full text-xs text-slate-500">
            Decides the last actions again with v{version} (original parameters, each agent&apos;s current registry) and
            lists what would change. Nothing is written.
          </p>
          <Field id="replay-limit" label="Actions to replay" error={fieldErrors.limit}>
            <input
              id="replay-limit"
              type="number"
              min={1}
              max={1000}
              value={limit}
              onChange={(e) => setLimit(e.target.value)}
              className={cx(inputClass, "w-32")}
              {...fieldAria("replay-limit", { error: fieldErrors.limit })}
            />
          </Field>
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
            <Table
              dense
              rows={result.changed}
              rowKey={(c) => c.action_id}
              label="Decisions that would change"
              columns={[
                {
                  header: "Action",
                  cell: (c) => (
                    <>
                      <Link href={`/${org}/actions/${c.action_id}`} className="font-mono break-all underline">
                        {c.tool}.{c.operation}
                      </Link>
                      <div className="text-slate-500">{formatUtc(c.created_at)}</div>
                    </>
                  ),
                },
                { header: "Agent", cell: (c) => c.agent },
                {
                  header: "Was",
                  cell: (c) => (
                    <>
                      <EffectBadge effect={c.before.effect} /> {c.before.risk_level}
                      <div className="text-slate-500">
                        {c.before.rule ?? "no rule"}
                        {c.before.policy_version ? ` (v${c.before.policy_version})` : ""}
                      </div>
                    </>
                  ),
                },
                {
                  header: "Would be",
                  cell: (c) => (
                    <>
                      <EffectBadge effect={c.after.effect} /> {c.after.risk_level}
                      <div className="text-slate-500">{c.after.rule ?? "no rule"}</div>
                    </>
                  ),
                },
              ]}
            />
          )}
        </div>
      )}
    </Card>
  );
}
