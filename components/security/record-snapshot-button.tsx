"use client";

import type { SnapshotSummary } from "@/lib/posture/snapshots";
import { api } from "../api-client";
import { useMutation } from "../use-mutation";
import { Alert, Button } from "../ui";

export function RecordSnapshotButton({ org }: { org: string }) {
  const { error, notice, pending: busy, run, setNotice } = useMutation();

  async function record() {
    await run("record", async () => {
      const s = await api<SnapshotSummary>(org, "/api/v1/security/snapshots", { method: "POST" });
      setNotice(`Recorded a snapshot: score ${s.score}.`);
    });
  }

  return (
    <div className="space-y-2">
      <Button variant="secondary" onClick={() => void record()} disabled={busy} data-testid="record-snapshot">
        {busy ? "Recording…" : "Record snapshot"}
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
