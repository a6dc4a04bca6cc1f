"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { formatDuration, useNow } from "./time";
import { Button } from "./ui";

/**
 * Re-renders the server page every `intervalMs` while switched on, and says
 * how fresh the shown data is. For lists whose rows the server renders.
 */
export function AutoRefresh({ intervalMs = 5000, label = "Live" }: { intervalMs?: number; label?: string }) {
  const router = useRouter();
  const [on, setOn] = useState(true);
  const [renderedAt, setRenderedAt] = useState<number | null>(null);
  const now = useNow(1000);

  useEffect(() => {
    const first = setTimeout(() => setRenderedAt(Date.now()), 0);
    if (!on) return () => clearTimeout(first);
    const id = setInterval(() => {
      if (document.visibilityState === "hidden") return;
      router.refresh();
      setRenderedAt(Date.now());
    }, intervalMs);
    return () => {
      clearTimeout(first);
      clearInterval(id);
    };
  }, [on, intervalMs, router]);

  return (
    <div className="flex items-center gap-3 text-sm text-slate-600">
      <span data-testid="freshness">
        {on ? `${label} · ` : "Paused · "}
        {renderedAt === null || now === null
          ? "just loaded"
          : `updated ${formatDuration(Math.max(0, now - renderedAt))} ago`}
      </span>
      <Button variant="secondary" aria-pressed={!on} onClick={() => setOn((v) => !v)}>
        {on ? "Pause updates" : "Resume updates"}
      </Button>
    </div>
  );
}
