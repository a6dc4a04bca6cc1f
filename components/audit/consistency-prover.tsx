"use client";

import { useState } from "react";
import { checkConsistencyProof } from "@/lib/audit/consistency-check";
import type { ConsistencyView } from "@/lib/audit/prove-consistency";
import { api } from "../api-client";
import { invalid, useMutation } from "../use-mutation";
import { Alert, Button, Field, fieldAria, formatUtc, inputClass } from "../ui";

export type CheckpointChoice = { id: string; tree_size: number; timestamp: string; key_id: string };

type Result = { view: ConsistencyView; ok: boolean };

const sha256 = async (data: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.digest("SHA-256", data));

const label = (c: CheckpointChoice) => `#${c.tree_size} · ${formatUtc(c.timestamp)} · key ${c.key_id}`;

/**
 * "Prove consistency between two checkpoints": asks the server for the RFC
 * 6962 consistency proof between two signed checkpoints and checks the proof
 * here, in the browser (Web Crypto SHA-256), against the two signed roots,
 * so the answer does not rest on the server's word.
 */
export function ConsistencyProver({ org, checkpoints: given }: { org: string; checkpoints: CheckpointChoice[] }) {
  // Largest first, so the defaults are the newest tree and the one before it.
  const checkpoints = [...given].sort((a, b) => b.tree_size - a.tree_size || b.timestamp.localeCompare(a.timestamp));
  const { error, fieldErrors, pending, run } = useMutation({ refresh: false });
  const [result, setResult] = useState<Result | null>(null);
  const [from, setFrom] = useState(checkpoints[1]?.id ?? checkpoints[0]?.id ?? "");
  const [to, setTo] = useState(checkpoints[0]?.id ?? "");

  if (checkpoints.length < 2) {
    return (
      <p className="text-sm text-slate-600">
        Two checkpoints are needed to prove that the log only grew between them; sign one now and another after the log
        grows.
      </p>
    );
  }

  async function prove(e: React.FormEvent) {
    e.preventDefault();
    setResult(null);
    await run(
      "prove",
      async () => {
        const older = checkpoints.find((c) => c.id === from);
        const newer = checkpoints.find((c) => c.id === to);
        if (!older || !newer) throw invalid({ from: "Choose two checkpoints." });
        if (older.tree_size > newer.tree_size) {
          throw invalid({ to: "Choose a checkpoint at least as large as the older one." }, "The order is reversed.");
        }
        const q = new URLSearchParams({ from, to });
        const view = await api<ConsistencyView>(org, `/api/v1/audit/consistency?${q.toString()}`);
        const ok = await checkConsistencyProof(sha256, {
          oldSize: view.from.tree_size,
          newSize: view.to.tree_size,
          oldRoot: view.from.root_hash,
          newRoot: view.to.root_hash,
          proof: view.proof,
        });
        setResult({ view, ok });
      },
      { fields: /^(from|to)$/ },
    );
  }

  return (
    <form onSubmit={(e) => void prove(e)} aria-label="Prove consistency between two checkpoints" className="space-y-3">
      <div className="grid gap-3 sm:grid-cols-2">
        <Field id="consistency-from" label="Older checkpoint" error={fieldErrors.from}>
          <select
            id="consistency-from"
            className={inputClass}
            value={from}
            onChange={(e) => setFrom(e.target.value)}
            {...fieldAria("consistency-from", { error: fieldErrors.from })}
          >
            {checkpoints.map((c) => (
              <option key={c.id} value={c.id}>
                {label(c)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="consistency-to" label="Newer checkpoint" error={fieldErrors.to}>
          <select
            id="consistency-to"
            className={inputClass}
            value={to}
            onChange={(e) => setTo(e.target.value)}
            {...fieldAria("consistency-to", { error: fieldErrors.to })}
          >
            {checkpoints.map((c) => (
              <option key={c.id} value={c.id}>
                {label(c)}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Button type="submit" variant="secondary" disabled={pending}>
        {pending ? "Proving…" : "Prove consistency"}
      </Button>
      {error && <Alert>{error}</Alert>}
      {result && <ResultView result={result} />}
    </form>
  );
}

function ResultView({ result: { view, ok } }: { result: Result }) {
  const { from, to, proof } = view;
  const same = from.tree_size === to.tree_size;
  return (
    <div className="space-y-2" data-testid="consistency-result">
      {ok ? (
        <Alert tone="green" role="status">
          <strong>Consistent.</strong>{" "}
          {same
            ? `Both checkpoints sign the same log of ${to.tree_size} events (the same root).`
            : `The log of ${from.tree_size} events signed at the older checkpoint is exactly the first ${from.tree_size} events of the log of ${to.tree_size} events signed at the newer one: nothing recorded up to event #${from.tree_size} was changed, removed or reordered; ${to.tree_size - from.tree_size} events were appended.`}{" "}
          This browser checked the {proof.length}-hash proof itself (RFC 9162 §2.1.4.2, SHA-256 via Web Crypto) against
          the two signed roots.
        </Alert>
      ) : (
        <Alert>
          <strong>Not consistent.</strong>{" "}
          {same
            ? `Two checkpoints of ${to.tree_size} events with different roots: the log was forked or rewritten.`
            : `The proof does not lead from the older root to the newer one: the log of ${to.tree_size} events does not extend the log of ${from.tree_size} events signed earlier. Events up to #${from.tree_size} were changed, removed or reordered after the older checkpoint was signed.`}{" "}
          Keep both checkpoints as evidence and run the full verification (the badge at the top of this page).
        </Alert>
      )}
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
        <dt className="text-slate-500">Older</dt>
        <dd className="font-mono break-all">
          #{from.tree_size} root {from.root_hash}
        </dd>
        <dt className="text-slate-500">Newer</dt>
        <dd className="font-mono break-all">
          #{to.tree_size} root {to.root_hash}
        </dd>
      </dl>
      {proof.length > 0 && (
        <details className="text-xs">
          <summary className="cursor-pointer text-slate-600">The proof ({proof.length} hashes)</summary>
          <ol className="mt-1 list-decimal space-y-0.5 pl-6 font-mono break-all text-slate-600">
            {proof.map((h, i) => (
              <li key={`${i}-${h}`}>{h}</li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}
