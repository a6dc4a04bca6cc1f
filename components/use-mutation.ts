"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { describeError } from "./api-client";

/**
 * The state every management page keeps around its API calls: which one is
 * running (to disable buttons), the last error and the last notice; after a
 * success the server components are refreshed so the page shows real state.
 */
export function useMutation() {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function run(key: string, fn: () => Promise<void>) {
    setBusy(key);
    setError(null);
    setNotice(null);
    try {
      await fn();
      router.refresh();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  }

  return { error, notice, busy, run, setNotice, setError };
}
