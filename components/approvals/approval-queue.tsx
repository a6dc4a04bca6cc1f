"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type { ApprovalQueueItem } from "@/lib/approvals/list-approvals";
import { api, ApiError, describeError } from "../api-client";
import { useNow, formatDuration } from "../time";
import { Alert, Button, Card } from "../ui";
import { ApprovalCard } from "./approval-card";

/** How often the open queue asks for changes; slower while the tab is hidden. */
const POLL_MS = 3000;
const HIDDEN_POLL_MS = 30_000;

/**
 * The approval queue, kept current by polling the API. Items are keyed by
 * id, so a reason someone is typing survives every refresh.
 */
export function ApprovalQueue({ org, status, initial }: { org: string; status: string; initial: ApprovalQueueItem[] }) {
  const [items, setItems] = useState(initial);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [pollError, setPollError] = useState<{ message: string; signedOut: boolean } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const known = useRef(new Set(initial.map((i) => i.id)));
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const now = useNow(1000);

  const load = useCallback(async () => {
    try {
      const res = await api<{ approvals: ApprovalQueueItem[] }>(
        org,
        `/api/v1/approvals?status=${encodeURIComponent(status)}`,
      );
      const arrived = res.approvals.filter((i) => !known.current.has(i.id));
      for (const i of arrived) known.current.add(i.id);
      if (arrived.length > 0) {
        setFresh((cur) => new Set([...cur, ...arrived.map((i) => i.id)]));
        setAnnouncement(`${arrived.length} new approval request${arrived.length === 1 ? "" : "s"}`);
      }
      setItems(res.approvals);
      setUpdatedAt(Date.now());
      setPollError(null);
    } catch (e) {
      const signedOut = e instanceof ApiError && e.problem.status === 401;
      setPollError({ message: describeError(e), signedOut });
    }
  }, [org, status]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const schedule = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        await load();
        if (!stopped) schedule(document.visibilityState === "hidden" ? HIDDEN_POLL_MS : POLL_MS);
      }, ms);
    };
    const onVisible = () => {
      if (document.visibilityState === "visible") schedule(0);
    };
    schedule(0);
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [load]);

  const pendingView = status === "pending";
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3 text-sm text-slate-600">
        <p data-testid="queue-freshness" aria-live="off">
          {updatedAt === null || now === null
            ? "Loading the latest state…"
            : `Live · updated ${formatDuration(Math.max(0, now - updatedAt))} ago · checks every ${POLL_MS / 1000} s`}
        </p>
        <Button variant="secondary" onClick={() => void load()}>
          Refresh now
        </Button>
      </div>
      <p className="sr-only" role="status" aria-live="polite">
        {announcement}
      </p>
      {pollError && (
        <Alert tone={pollError.signedOut ? "red" : "amber"}>
          {pollError.signedOut ? (
            <>
              Your session has ended, so the queue is no longer updating.{" "}
              <a className="font-medium underline" href={`/login?next=${encodeURIComponent(`/${org}/approvals`)}`}>
                Sign in again
              </a>
            </>
          ) : (
            <>Could not refresh the queue ({pollError.message}). Showing what was last loaded; retrying.</>
          )}
        </Alert>
      )}
      {notice && (
        <Alert tone="green" role="status">
          {notice}
        </Alert>
      )}
      {items.length === 0 ? (
        <Card>
          <p className="text-sm text-slate-600" data-testid="queue-empty">
            {pendingView
              ? "Nothing is waiting for a decision. New requests appear here on their own."
              : "No approval requests with this status."}
          </p>
        </Card>
      ) : (
        <div className="space-y-4" data-testid="approval-list">
          {items.map((item) => (
            <ApprovalCard
              key={item.id}
              org={org}
              item={item}
              isNew={fresh.has(item.id)}
              onDecided={(message) => {
                setNotice(message);
                void load();
              }}
            />
          ))}
        </div>
      )}
    </div>
  );
}
