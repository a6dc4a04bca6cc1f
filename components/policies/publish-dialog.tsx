"use client";

import type { PolicyVersionView } from "@/lib/policy/versions";
import { api } from "../api-client";
import { useMutation } from "../use-mutation";
import { Alert, Button } from "../ui";
import { Dialog } from "../dialog";

/** Confirms and makes a version the active policy: a draft is published, an older published version re-activated. */
export function PublishDialog({
  org,
  target,
  active,
  onDone,
  onCancel,
}: {
  org: string;
  target: { version: number; status: "draft" | "published"; rule_count: number };
  active: { version: number } | null;
  onDone: (view: PolicyVersionView) => void;
  onCancel: () => void;
}) {
  const { error, pending, run } = useMutation({ refresh: false });
  const rollback = target.status === "published";
  const title = rollback ? `Re-activate v${target.version}?` : `Publish v${target.version}?`;
  return (
    <Dialog title={title} onCancel={onCancel}>
      <p className="text-sm text-slate-600">
        {rollback ? "This is a rollback: " : ""}v{target.version} ({target.rule_count} rule
        {target.rule_count === 1 ? "" : "s"}) becomes the active policy
        {active ? `, replacing v${active.version}` : ""}. The very next action any agent submits is decided by it. The
        change is recorded in the audit trail
        {active ? ` and v${active.version} stays in the history` : ""}.
      </p>
      {error && (
        <div className="mt-3">
          <Alert>{error}</Alert>
        </div>
      )}
      <div className="mt-6 flex justify-end gap-3">
        <Button variant="secondary" onClick={onCancel} data-autofocus>
          Cancel
        </Button>
        <Button
          disabled={pending}
          onClick={async () => {
            const view = await run("publish", () =>
              api<PolicyVersionView>(org, `/api/v1/policies/${target.version}/publish`, { method: "POST" }),
            );
            if (view) onDone(view);
          }}
        >
          {pending ? "Working…" : rollback ? `Re-activate v${target.version}` : `Publish v${target.version}`}
        </Button>
      </div>
    </Dialog>
  );
}
