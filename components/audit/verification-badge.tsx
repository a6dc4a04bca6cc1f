"use client";

import { useCallback, useEffect, useState } from "react";
import type { AuditVerification } from "@/lib/audit/verify-audit-log";
import { api, describeError } from "../api-client";
import { Badge, Button, formatUtc } from "../ui";

/**
 * The chain and checkpoint status. Verification rereads the whole log, so it
 * runs after the page has rendered, and again on demand.
 */
export function VerificationBadge({ org }: { org: string }) {
  const [result, setResult] = useState<AuditVerification | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(true);

  const load = useCallback(
    () =>
      api<AuditVerification>(org, "/api/v1/audit/verify").then(
        (r) => {
          setResult(r);
          setError(null);
          setRunning(false);
        },
        (e: unknown) => {
          setError(describeError(e));
          setRunning(false);
        },
      ),
    [org],
  );

  useEffect(() => {
    void load();
  }, [load]);

  function run() {
    setRunning(true);
    void load();
  }

  const chain = result?.chain;
  const latest = result?.latest_checkpoint ?? null;
  return (
    <div className="flex flex-col items-end gap-1 text-right" data-testid="verification" aria-live="polite">
      <div className="flex items-center gap-2">
        {running && !result && <Badge tone="slate">Verifying the chain…</Badge>}
        {error && <Badge tone="red">Verification failed: {error}</Badge>}
        {chain &&
          (chain.ok ? (
            <Badge tone="green">
              Chain verified through #{chain.length} at {formatUtc(chain.verified_at)}
            </Badge>
          ) : (
            <Badge tone="red">
              Chain broken at #{chain.first_bad_seq}: {chain.reason}
            </Badge>
          ))}
        <Button variant="ghost" onClick={run} disabled={running}>
          {running ? "Verifying…" : "Verify again"}
        </Button>
      </div>
      {result && (
        <div className="text-xs text-slate-600">
          {latest ? (
            <>
              Latest checkpoint #{latest.tree_size} signed {formatUtc(latest.timestamp)} by key {latest.key_id}:{" "}
              {latest.signature_valid && latest.matches_chain ? (
                <span className="font-medium text-emerald-700">matches the chain</span>
              ) : (
                <span className="font-medium text-red-700">{latest.problem ?? "does not match the chain"}</span>
              )}
            </>
          ) : (
            "No checkpoint signed yet."
          )}
          {result.checkpoints.total > 0 && (
            <span>
              {" "}
              · {result.checkpoints.verified} of {result.checkpoints.total} checkpoints verified
            </span>
          )}
        </div>
      )}
    </div>
  );
}
