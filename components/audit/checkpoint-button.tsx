"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import type { CheckpointView } from "@/lib/audit/checkpoint-view";
import { api, describeError } from "../api-client";
import { Alert, Button } from "../ui";

export function CheckpointButton({ org }: { org: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: "green" | "red"; text: string } | null>(null);

  async function sign() {
    setBusy(true);
    setMessage(null);
    try {
      const cp = await api<CheckpointView>(org, "/api/v1/audit/checkpoints", { method: "POST" });
      setMessage({ tone: "green", text: `Signed checkpoint #${cp.tree_size} with key ${cp.key_id}.` });
      router.refresh();
    } catch (e) {
      setMessage({ tone: "red", text: describeError(e) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-2">
      <Button variant="secondary" onClick={() => void sign()} disabled={busy}>
        {busy ? "Signing…" : "Sign a checkpoint now"}
      </Button>
      {message && (
        <Alert tone={message.tone} role="status">
          {message.text}
        </Alert>
      )}
    </div>
  );
}
