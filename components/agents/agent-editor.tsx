"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import type { AgentView } from "@/lib/agents/agents";
import { api } from "../api-client";
import { useMutation } from "../use-mutation";
import { Alert, Button, Card } from "../ui";
import { ConfirmDialog } from "../dialog";
import { AgentForm } from "./agent-form";

/** An admin's controls on one agent: edit everything but the slug; disable or enable it. */
export function AgentEditor({ org, agent }: { org: string; agent: AgentView }) {
  const router = useRouter();
  const { error, notice, pending: busy, run, setNotice } = useMutation();
  const [confirm, setConfirm] = useState(false);

  function setDisabled(disabled: boolean) {
    return run(disabled ? "disable" : "enable", async () => {
      await api<AgentView>(org, `/api/v1/agents/${agent.slug}`, { method: "PATCH", body: { disabled } });
      setNotice(
        disabled
          ? `“${agent.slug}” is disabled: its actions are refused until it is enabled again.`
          : `“${agent.slug}” is enabled again.`,
      );
    });
  }

  return (
    <div className="space-y-6">
      {notice && (
        <Alert tone="green" role="status">
          {notice}
        </Alert>
      )}
      {error && <Alert>{error}</Alert>}
      <Card title="Edit">
        <AgentForm
          // A fresh form after each save, seeded from what the server stored.
          key={agent.updated_at}
          org={org}
          agent={agent}
          onSaved={(a) => {
            setNotice(`Saved “${a.slug}”.`);
            router.refresh();
          }}
        />
      </Card>
      <Card title={agent.disabled ? "Enable" : "Disable"} className={agent.disabled ? undefined : "border-red-200"}>
        {agent.disabled ? (
          <div className="flex flex-wrap items-center justify-between gap-3">
            <p className="text-sm text-slate-600">This agent is disabled: every action it submits is refused.</p>
            <Button onClick={() => setDisabled(false)} disabled={busy}>
              {busy ? "Enabling…" : "Enable agent"}
            </Button>
          </div>
        ) : (
          <div className="flex flex-wrap items-center justify-between gap-3">
            <p className="text-sm text-slate-600">
              Disabling refuses every action the agent submits, whatever key it uses. You can enable it again.
            </p>
            <Button variant="danger" onClick={() => setConfirm(true)} disabled={busy}>
              Disable agent
            </Button>
          </div>
        )}
      </Card>
      {confirm && (
        <ConfirmDialog
          title={`Disable “${agent.slug}”?`}
          confirmLabel="Disable agent"
          tone="danger"
          onCancel={() => setConfirm(false)}
          onConfirm={() => {
            setConfirm(false);
            void setDisabled(true);
          }}
        >
          <p className="text-sm text-slate-600">
            New actions it submits are refused. Approval requests already in the queue stay there until someone decides
            or they expire.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
