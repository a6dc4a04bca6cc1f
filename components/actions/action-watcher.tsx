"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { api } from "../api-client";

/** Long-poll while pending; afterwards an allowed or approved action may still be executed, so keep an eye on it. */
function pollPlan(status: string): { wait: number; pauseMs: number } | null {
  if (status === "pending") return { wait: 25, pauseMs: 0 };
  if (status === "executing") return { wait: 0, pauseMs: 2000 };
  if (status === "allowed" || status === "approved") return { wait: 0, pauseMs: 10_000 };
  return null;
}

/**
 * Watches one action through the API and re-renders the page when it
 * changes (a decision, an expiry, an execution), so the page never shows a
 * stale state.
 */
export function ActionWatcher({
  org,
  id,
  status,
  updatedAt,
}: {
  org: string;
  id: string;
  status: string;
  updatedAt: string;
}) {
  const router = useRouter();
  const [trouble, setTrouble] = useState(false);
  const watching = pollPlan(status) !== null;

  useEffect(() => {
    const plan = pollPlan(status);
    if (!plan) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const view = await api<{ status: string; updated_at: string }>(
          org,
          `/api/v1/actions/${id}${plan.wait ? `?wait=${plan.wait}` : ""}`,
        );
        if (stopped) return;
        setTrouble(false);
        if (view.status !== status || view.updated_at !== updatedAt) {
          router.refresh();
          // New props restart this effect; if the refresh brought nothing new, look again shortly.
          timer = setTimeout(run, 3000);
          return;
        }
        timer = setTimeout(run, plan.pauseMs);
      } catch {
        if (stopped) return;
        setTrouble(true);
        timer = setTimeout(run, 5000);
      }
    };
    timer = setTimeout(run, plan.pauseMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [org, id, status, updatedAt, router]);

  if (!watching) return null;
  return (
    <p className="text-xs text-slate-500" role="status" data-testid="action-live">
      {trouble
        ? "Lost contact with Warden; retrying…"
        : status === "pending"
          ? "Live: this page updates as soon as the action is decided."
          : "Live: watching for execution."}
    </p>
  );
}
