"use client";

import { useEffect, useState } from "react";
import { formatUtc } from "./ui";

/**
 * The current time, ticking every `intervalMs`; null during server rendering
 * and hydration, so relative times never make the two disagree.
 */
export function useNow(intervalMs = 1000): number | null {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    const tick = () => setNow(Date.now());
    const first = setTimeout(tick, 0);
    const id = setInterval(tick, intervalMs);
    return () => {
      clearTimeout(first);
      clearInterval(id);
    };
  }, [intervalMs]);
  return now;
}

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "3 min ago", with the exact UTC time as a tooltip. */
export function Ago({ iso, className }: { iso: string; className?: string }) {
  const now = useNow(1000);
  const exact = formatUtc(iso);
  return (
    <time dateTime={iso} title={exact} className={className}>
      {now === null ? exact : `${formatDuration(now - Date.parse(iso))} ago`}
    </time>
  );
}

/** Time left until a deadline; "expired" once it has passed. */
export function Countdown({ iso, className }: { iso: string; className?: string }) {
  const now = useNow(1000);
  const exact = formatUtc(iso);
  if (now === null) {
    return (
      <time dateTime={iso} className={className}>
        until {exact}
      </time>
    );
  }
  const left = Date.parse(iso) - now;
  return (
    <time dateTime={iso} title={`Expires ${exact}`} className={className}>
      {left <= 0 ? "expired" : `${formatDuration(left)} left`}
    </time>
  );
}
