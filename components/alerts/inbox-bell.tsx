"use client";

import { useState } from "react";
import { api } from "../api-client";
import { formatUtc, cx } from "../ui";
import { useLiveCounts } from "./live-counts";

const TONE = { info: "bg-sky-500", warning: "bg-amber-500", critical: "bg-red-600" } as const;

/** The bell: unread count, and the latest notifications in a panel. */
export function InboxBell({ org }: { org: string }) {
  const live = useLiveCounts();
  const [open, setOpen] = useState(false);
  const label = live.unread > 0 ? `Notifications, ${live.unread} unread` : "Notifications";

  async function markRead(id: string | null) {
    await api(org, "/api/v1/notifications/read", { method: "POST", body: { id } });
    await live.refresh();
  }

  return (
    <div className="relative">
      <button
        type="button"
        aria-label={label}
        aria-expanded={open}
        aria-controls="inbox-panel"
        data-testid="inbox-bell"
        onClick={() => setOpen((o) => !o)}
        className="relative rounded-md p-2 text-slate-600 hover:bg-slate-100 hover:text-slate-900"
      >
        <svg
          aria-hidden="true"
          viewBox="0 0 24 24"
          className="h-5 w-5"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
        >
          <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
          <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
        </svg>
        {live.unread > 0 && (
          <span
            data-testid="inbox-unread"
            className="absolute -right-0.5 -top-0.5 min-w-[1.1rem] rounded-full bg-red-600 px-1 text-center text-xs font-semibold leading-[1.1rem] text-white"
          >
            {live.unread > 99 ? "99+" : live.unread}
          </span>
        )}
      </button>
      {open && (
        <div
          id="inbox-panel"
          role="region"
          aria-label="Notifications"
          className="absolute right-0 z-30 mt-2 w-96 max-w-[90vw] rounded-lg border border-slate-200 bg-white shadow-lg"
        >
          <div className="flex items-center justify-between border-b border-slate-100 px-4 py-2">
            <span className="text-sm font-semibold">Notifications</span>
            {live.unread > 0 && (
              <button type="button" className="text-xs text-slate-600 underline" onClick={() => void markRead(null)}>
                Mark all read
              </button>
            )}
          </div>
          {live.items.length === 0 ? (
            <p className="px-4 py-6 text-center text-sm text-slate-500">Nothing yet.</p>
          ) : (
            <ul className="max-h-96 divide-y divide-slate-100 overflow-y-auto" data-testid="inbox-items">
              {live.items.map((n) => (
                <li key={n.id} className={cx("px-4 py-3 text-sm", n.read_at ? "text-slate-500" : "text-slate-900")}>
                  <div className="flex items-start gap-2">
                    <span aria-hidden="true" className={cx("mt-1.5 h-2 w-2 shrink-0 rounded-full", TONE[n.severity])} />
                    <div className="min-w-0 flex-1">
                      <p className="font-medium">
                        {n.title}
                        <span className="sr-only"> ({n.severity})</span>
                      </p>
                      <p className="break-words">{n.body}</p>
                      <p className="mt-1 text-xs text-slate-500">{formatUtc(n.created_at)}</p>
                    </div>
                    {!n.read_at && (
                      <button
                        type="button"
                        className="shrink-0 text-xs text-slate-600 underline"
                        onClick={() => void markRead(n.id)}
                      >
                        Mark read
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
