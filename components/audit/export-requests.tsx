"use client";

import { useCallback, useEffect, useId, useState } from "react";
import type { ExportRequestView } from "@/lib/exports/requests";
import { api, describeError } from "../api-client";
import { Countdown } from "../time";
import { invalid, useMutation } from "../use-mutation";
import { Alert, Badge, Button, formatUtc, inputClass } from "../ui";

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

const TONE: Record<ExportRequestView["status"], "slate" | "green" | "amber" | "red" | "blue"> = {
  ready: "green",
  approved: "green",
  pending_approval: "amber",
  rejected: "red",
  expired: "slate",
  started: "blue",
};

const LABEL: Record<ExportRequestView["status"], string> = {
  ready: "ready",
  approved: "approved",
  pending_approval: "waiting for approval",
  rejected: "rejected",
  expired: "expired",
  started: "downloaded",
};

function describeRange(e: ExportRequestView): string {
  const from = e.from ? formatUtc(e.from) : "the start";
  const to = e.to ? formatUtc(e.to) : "the request";
  return `${e.format.toUpperCase()}, ${from} → ${to}, through #${e.through_seq}`;
}

/** Starts a download through a plain link (the browser streams it to disk). */
export function startDownload(org: string, url: string): void {
  const a = document.createElement("a");
  a.href = `${url}?org=${encodeURIComponent(org)}`;
  a.download = "";
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Polls while something may still change (every 5 s, 30 s in a hidden tab). */
function usePoll(load: () => Promise<void>, active: boolean) {
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      timer = setTimeout(
        async () => {
          await load();
          if (!stopped) tick();
        },
        document.visibilityState === "hidden" ? 30_000 : 5_000,
      );
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [load, active]);
}

/** The caller's own export requests on the audit page: status, and a download button once allowed. */
export function MyExports({ org, exports }: { org: string; exports: ExportRequestView[] }) {
  const [items, setItems] = useState(exports);
  const [error, setError] = useState<string | null>(null);
  // A server refresh (after a new request) brings a new list: take it.
  const [given, setGiven] = useState(exports);
  if (given !== exports) {
    setGiven(exports);
    setItems(exports);
  }
  const load = useCallback(async () => {
    try {
      setItems((await api<{ exports: ExportRequestView[] }>(org, "/api/v1/audit/exports?which=mine&limit=10")).exports);
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, [org]);
  usePoll(
    load,
    items.some((e) => e.status === "pending_approval"),
  );
  if (items.length === 0) return null;
  return (
    <section aria-label="Your exports" className="mt-4 space-y-2">
      <h3 className="text-sm font-semibold text-slate-900">Your recent exports</h3>
      {error && <Alert>{error}</Alert>}
      <ul className="divide-y divide-slate-100 text-sm" data-testid="my-exports">
        {items.map((e) => (
          <li key={e.id} className="flex flex-wrap items-center gap-2 py-2">
            <Badge tone={TONE[e.status]}>{LABEL[e.status]}</Badge>
            <span className="text-slate-700">
              {describeRange(e)} · {e.estimated_events.toLocaleString("en-US")} events, ≤{" "}
              {formatBytes(e.estimated_bytes)}
            </span>
            {e.status === "pending_approval" && e.approval_expires_at && (
              <span className="text-xs text-slate-500">
                in the approval queue; expires <Countdown iso={e.approval_expires_at} />
              </span>
            )}
            {e.status === "rejected" && e.decision_reason && (
              <span className="text-xs text-red-700">Reason: {e.decision_reason}</span>
            )}
            {e.download_url && (
              <Button
                variant="secondary"
                onClick={() => {
                  startDownload(org, e.download_url!);
                  setTimeout(() => void load(), 1000);
                }}
              >
                Download
              </Button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Exports waiting for an approval, on the approval queue's page. */
export function ExportApprovals({ org, initial }: { org: string; initial: ExportRequestView[] }) {
  const [items, setItems] = useState(initial);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setItems((await api<{ exports: ExportRequestView[] }>(org, "/api/v1/audit/exports?which=pending")).exports);
    } catch {
      // The action queue below reports connectivity; this list keeps what it had.
    }
  }, [org]);
  usePoll(load, true);
  if (items.length === 0 && !notice) return null;
  return (
    <section aria-label="Audit exports waiting for approval" className="mb-6 space-y-3">
      <h2 className="text-base font-semibold text-slate-900">Audit exports waiting for approval</h2>
      {notice && (
        <Alert tone="green" role="status">
          {notice}
        </Alert>
      )}
      {items.map((e) => (
        <article
          key={e.id}
          className="rounded-lg border border-amber-200 bg-white p-4 shadow-sm"
          data-testid="export-approval"
        >
          <p className="text-sm text-slate-800">
            <strong>{e.requested_by_email ?? (e.requested_by.type === "api_key" ? "An API key" : "Someone")}</strong>{" "}
            {e.requested_by.type === "api_key" ? "(through an API key) " : ""}asked to export the audit trail:{" "}
            {describeRange(e)}, {e.estimated_events.toLocaleString("en-US")} events, up to{" "}
            <strong>{formatBytes(e.estimated_bytes)}</strong>.
          </p>
          <p className="mt-1 text-xs text-slate-500">
            Requested {formatUtc(e.created_at)}; the request expires{" "}
            {e.approval_expires_at ? <Countdown iso={e.approval_expires_at} /> : "—"}. Once approved, only the requester
            can download it, once, within 24 hours.
          </p>
          {e.you_may_decide ? (
            <ExportDecision
              org={org}
              item={e}
              onDecided={(msg) => {
                setNotice(msg);
                void load();
              }}
            />
          ) : (
            <p className="mt-2 text-sm text-slate-600">
              {e.requested_by_user_id && e.you_requested
                ? "You requested this export: another approver must decide."
                : "You cannot decide on this export (you requested it, or created the key that did)."}
            </p>
          )}
        </article>
      ))}
    </section>
  );
}

function ExportDecision({
  org,
  item,
  onDecided,
}: {
  org: string;
  item: ExportRequestView;
  onDecided: (message: string) => void;
}) {
  const id = useId();
  const [reason, setReason] = useState("");
  const { error, busy, fieldErrors, run } = useMutation({ refresh: false });
  async function decide(decision: "approve" | "reject") {
    const r = await run(
      decision,
      async () => {
        if (reason.trim() === "") {
          throw invalid(
            { reason: "Give a reason: it is recorded with your decision." },
            "Your decision needs a reason.",
          );
        }
        return api<ExportRequestView>(org, `/api/v1/audit/exports/${item.id}/${decision}`, {
          method: "POST",
          body: { reason: reason.trim() },
        });
      },
      { fields: /^reason$/ },
    );
    if (r) {
      onDecided(
        r.status === "approved"
          ? `You approved the export of ${formatBytes(r.estimated_bytes)}; the requester can now download it.`
          : "You rejected the export; it will not run.",
      );
    }
  }
  const reasonId = `${id}-reason`;
  return (
    <form className="mt-3 space-y-2" aria-label="Decide on this export" onSubmit={(e) => e.preventDefault()}>
      {error && <Alert>{error}</Alert>}
      <label htmlFor={reasonId} className="block text-sm font-medium text-slate-700">
        Reason (required, recorded in the audit trail)
      </label>
      <input
        id={reasonId}
        className={inputClass}
        value={reason}
        maxLength={500}
        onChange={(e) => setReason(e.target.value)}
        aria-invalid={fieldErrors.reason ? true : undefined}
        aria-describedby={fieldErrors.reason ? `${reasonId}-error` : undefined}
      />
      {fieldErrors.reason && (
        <p id={`${reasonId}-error`} className="text-sm text-red-700">
          {fieldErrors.reason}
        </p>
      )}
      <div className="flex gap-2">
        <Button disabled={busy !== null} onClick={() => void decide("approve")}>
          Approve export
        </Button>
        <Button variant="secondary" disabled={busy !== null} onClick={() => void decide("reject")}>
          Reject export
        </Button>
      </div>
    </form>
  );
}
