"use client";

import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { api } from "../api-client";

/**
 * The live numbers of the shell: unread notifications (the bell) and pending
 * approvals (navigation and tab title). Polled like the approval queue: every
 * 5 s, every 30 s in a hidden tab, at once when the tab comes back.
 */
export type InboxItem = {
  id: string;
  firing_id: string | null;
  severity: "info" | "warning" | "critical";
  title: string;
  body: string;
  created_at: string;
  read_at: string | null;
};
type Inbox = { unread: number; pending_approvals: number | null; items: InboxItem[] };
type Live = Inbox & { refresh: () => Promise<void>; loaded: boolean };

const LiveContext = createContext<Live>({
  unread: 0,
  pending_approvals: null,
  items: [],
  loaded: false,
  refresh: async () => {},
});

export function useLiveCounts(): Live {
  return useContext(LiveContext);
}

export function LiveCountsProvider({ org, children }: { org: string; children: ReactNode }) {
  const [inbox, setInbox] = useState<Inbox>({ unread: 0, pending_approvals: null, items: [] });
  const [loaded, setLoaded] = useState(false);
  const baseTitle = useRef<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setInbox(await api<Inbox>(org, "/api/v1/notifications"));
      setLoaded(true);
    } catch {
      // Keep the last numbers; the next poll tries again.
    }
  }, [org]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const loop = async () => {
      await refresh();
      if (!stopped) timer = setTimeout(() => void loop(), document.hidden ? 30_000 : 5_000);
    };
    void loop();
    const onVisible = () => {
      if (!document.hidden) {
        if (timer) clearTimeout(timer);
        void loop();
      }
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [refresh]);

  // "(3) Warden": the pending approvals an approver is waited on, in the tab title.
  useEffect(() => {
    const stripped = document.title.replace(/^\(\d+\) /, "");
    baseTitle.current = stripped;
    const n = inbox.pending_approvals ?? 0;
    document.title = n > 0 ? `(${n}) ${stripped}` : stripped;
  });

  return <LiveContext.Provider value={{ ...inbox, loaded, refresh }}>{children}</LiveContext.Provider>;
}
