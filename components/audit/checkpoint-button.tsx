"use client";

import type { CheckpointView } from "@/lib/audit/checkpoint-view";
import { api } from "../api-client";
import { useMutation } from "../use-mutation";
import { Alert, Button } from "../ui";

export function CheckpointButton({ org }: { org: string }) {
  const { error, notice, pending: busy, run, setNotice } = useMutation();

  async function sign() {
    await run("sign", async () => {
      const cp = await api<CheckpointView>(org, "/api/v1/audit/checkpoints", { method: "POST" });
      setNotice(`Signed checkpoint #${cp.tree_size} with key ${cp.key_id}.`);
    });
  }

  return (
    <div className="space-y-2">
      <Button variant="secondary" onClick={() => void sign()} disabled={busy}>
        {busy ? "Signing…" : "Sign a checkpoint now"}
      </Button>
      {notice && (
        <Alert tone="green" role="status">
          {notice}
        </Alert>
      )}
      {error && <Alert>{error}</Alert>}
    </div>
  );
}
