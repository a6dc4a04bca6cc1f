"use client";

import { invalid, useMutation } from "../use-mutation";
import { Alert, Button, Field, fieldAria, inputClass } from "../ui";

/** datetime-local values are read as UTC, like every time on these pages. */
export function utcFromLocalInput(value: string): string | null {
  if (!value) return null;
  const d = new Date(/[zZ]|[+-]\d{2}:\d{2}$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * Downloads the export through a plain link (the browser streams it to disk;
 * nothing is held in this page's memory), naming the organization in the
 * query string because a link cannot carry the X-Warden-Org header.
 */
export function ExportForm({ org }: { org: string }) {
  const { error, fieldErrors, run } = useMutation({ refresh: false });

  function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    void run("export", async () => download(form), { fields: /^(from|to)$/ });
  }

  function download(form: FormData) {
    const from = utcFromLocalInput(String(form.get("from") ?? ""));
    const to = utcFromLocalInput(String(form.get("to") ?? ""));
    if (from && to && from >= to) throw invalid({ to: "Choose an end after the start." }, "The range is empty.");
    const q = new URLSearchParams({ org, format: String(form.get("format") ?? "jsonl") });
    if (from) q.set("from", from);
    if (to) q.set("to", to);
    const a = document.createElement("a");
    a.href = `/api/v1/audit/export?${q.toString()}`;
    a.download = "";
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  return (
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
      <div className="flex items-center gap-3">
        <Button type="submit">Download export</Button>
        <p className="text-xs text-slate-500">
          Leave the range empty for the whole trail. Every export is itself recorded in the trail.
        </p>
      </div>
    </form>
  );
}
