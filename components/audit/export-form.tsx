"use client";

import type { ExportRequestView } from "@/lib/exports/requests";
import { api } from "../api-client";
import { beginOrgStepUp, stepUpHeaders, useStepUp } from "../step-up";
import { invalid, useMutation } from "../use-mutation";
import { Alert, Button, Field, fieldAria, inputClass } from "../ui";
import { formatBytes, MyExports, startDownload } from "./export-requests";

/** datetime-local values are read as UTC, like every time on these pages. */
export function utcFromLocalInput(value: string): string | null {
  if (!value) return null;
  const d = new Date(/[zZ]|[+-]\d{2}:\d{2}$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * Requests the export (POST /api/v1/audit/exports). When nothing holds it, the
 * download starts at once through a plain link (the browser streams it to
 * disk; nothing is held in this page's memory; the organization goes in the
 * query string because a link cannot carry the X-Warden-Org header). When an
 * alert rule holds it for approval (e.g. larger than 1 GB), it waits in the
 * approval queue and appears under "Your recent exports" with its status.
 */
export function ExportForm({ org, mine }: { org: string; mine: ExportRequestView[] }) {
  const { error, notice, fieldErrors, run, setNotice } = useMutation();
  const stepUp = useStepUp();

  function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    void run("export", async () => request(form), { fields: /^(from|to|format)$/ });
  }

  async function request(form: FormData) {
    const from = utcFromLocalInput(String(form.get("from") ?? ""));
    const to = utcFromLocalInput(String(form.get("to") ?? ""));
    if (from && to && from >= to) throw invalid({ to: "Choose an end after the start." }, "The range is empty.");
    const body: Record<string, string> = { format: String(form.get("format") ?? "jsonl") };
    if (from) body.from = from;
    if (to) body.to = to;
    const r = await stepUp.withStepUp(
      (stepUpId) =>
        api<ExportRequestView>(org, "/api/v1/audit/exports", {
          method: "POST",
          body,
          headers: stepUpHeaders(stepUpId),
        }),
      beginOrgStepUp(org, "audit.export"),
    );
    if (r.status === "ready" && r.download_url) {
      startDownload(org, r.download_url);
      setNotice(null);
    } else if (r.status === "pending_approval") {
      setNotice(
        `This export (up to ${formatBytes(r.estimated_bytes)}) needs an approval: it is waiting in the approval queue. You can download it here once an approver agrees.`,
      );
    }
  }

  return (
    <>
      <form onSubmit={onSubmit} aria-label="Export the audit trail" className="space-y-3">
        <div className="grid gap-3 sm:grid-cols-3">
          <Field id="export-from" label="From (UTC)" error={fieldErrors.from}>
            <input
              id="export-from"
              type="datetime-local"
              name="from"
              step="1"
              className={inputClass}
              {...fieldAria("export-from", { error: fieldErrors.from })}
            />
          </Field>
          <Field id="export-to" label="To (UTC)" error={fieldErrors.to}>
            <input
              id="export-to"
              type="datetime-local"
              name="to"
              step="1"
              className={inputClass}
              {...fieldAria("export-to", { error: fieldErrors.to })}
            />
          </Field>
          <Field id="export-format" label="Format">
            <select id="export-format" name="format" className={inputClass} defaultValue="jsonl">
              <option value="jsonl">JSON Lines (one canonical event per line)</option>
              <option value="csv">CSV (spreadsheets)</option>
            </select>
          </Field>
        </div>
        {error && <Alert>{error}</Alert>}
        {notice && (
          <Alert tone="amber" role="status">
            {notice}
          </Alert>
        )}
        <div className="flex items-center gap-3">
          <Button type="submit">Download export</Button>
          <p className="text-xs text-slate-500">
            Leave the range empty for the whole trail. Every export is itself recorded in the trail; a large one may
            need an approval first.
          </p>
        </div>
      </form>
      <MyExports org={org} exports={mine} />
      {stepUp.dialog}
    </>
  );
}
