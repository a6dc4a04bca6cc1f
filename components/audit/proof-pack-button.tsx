"use client";

import { ApiError } from "../api-client";
import { beginOrgStepUp, stepUpHeaders, useStepUp } from "../step-up";
import { useMutation } from "../use-mutation";
import { Alert, Button } from "../ui";

/**
 * Fetches the pack (a few kilobytes) so that a refusal — an audit log that no
 * longer verifies — is shown as a message rather than saved as a file.
 */
export function ProofPackButton({
  org,
  actionId,
  variant = "primary",
}: {
  org: string;
  actionId: string;
  variant?: "primary" | "secondary";
}) {
  const { error, notice, pending: busy, run, setNotice } = useMutation({ refresh: false });
  const stepUp = useStepUp();

  async function fetchPack(stepUpId: string | null): Promise<Response> {
    const res = await fetch(`/api/v1/proof-pack/${actionId}`, {
      headers: { "x-warden-org": org, ...stepUpHeaders(stepUpId) },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!res.ok) {
      const p = (await res.json().catch(() => ({}))) as {
        detail?: string;
        title?: string;
        code?: string;
        errors?: { path: string; message: string }[];
      };
      throw new ApiError({
        status: res.status,
        title: p.title ?? res.statusText,
        detail: p.detail ?? `Request failed (${res.status})`,
        code: p.code,
        errors: p.errors,
      });
    }
    return res;
  }

  async function exportPack() {
    await run("export", async () => {
      // An export: a person with a second factor steps up (audit.export).
      const res = await stepUp.withStepUp(fetchPack, beginOrgStepUp(org, "audit.export"));
      const blob = await res.blob();
      const name =
        /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ??
        `warden-proof-pack-${actionId}.zip`;
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setNotice(`Saved ${name}. Unzip it and run "node verify.mjs" in the folder to check it offline.`);
    });
  }

  return (
    <div className="space-y-2">
      <Button variant={variant} onClick={() => void exportPack()} disabled={busy}>
        {busy ? "Preparing…" : "Export proof pack"}
      </Button>
      {notice && (
        <Alert tone="green" role="status">
          {notice}
        </Alert>
      )}
      {error && <Alert>{error}</Alert>}
      {stepUp.dialog}
    </div>
  );
}
