import { createHash } from "node:crypto";
import { withTenant } from "../db/tenant";
import { canonicalJson } from "../json";
import { log } from "../log";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { appendAuditEvent } from "./append-event";
import { readEventPage } from "./event-pages";
import { eventLine, type ChainedEvent } from "./event-row";

/**
 * GET /api/v1/audit/export: a time range of the audit trail as JSONL (one
 * event per line, the RFC 8785 canonical JSON of {seq, prev_hash, hash,
 * event}, the same lines as a proof pack's events.jsonl, so a SIEM or a
 * script can recheck each hash) or CSV (for spreadsheets, injection-safe).
 *
 * Streaming: the range is fixed when the request starts (the events in
 * [from, to) up to the head seq read then), and then read in keyset pages of
 * EXPORT_PAGE events by seq (event-pages.ts), each page in its own short tenant transaction,
 * only when the client has taken the previous one (ReadableStream pull =
 * backpressure). Memory stays at one page whatever the range, and no
 * connection or transaction is held while the client is slow.
 *
 * Auditing: the export is recorded as `audit.exported` with its size (events,
 * bytes, SHA-256 of the bytes). The event is appended after the last page is
 * produced and before the stream is closed: if it cannot be recorded, the
 * stream errors, so the client never gets a clean end of an unrecorded export.
 * If the client disconnects first (the stream is cancelled) or a page fails,
 * the event is still appended, with `completed: false` and the counts of
 * what had been handed over by then: a partial export is still an export.
 */

export const EXPORT_PAGE = 2000;

const CSV_COLUMNS = [
  "seq",
  "occurred_at",
  "actor_type",
  "actor_id",
  "action",
  "target_type",
  "target_id",
  "ip",
  "data",
  "prev_hash",
  "hash",
] as const;

/**
 * One CSV cell: RFC 4180 quoting, and formula injection defused: a cell that
 * a spreadsheet would evaluate (starting with = + - @, tab or carriage
 * return) gets a leading apostrophe, which spreadsheets display as text.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(",")}\r\n`;
}

export function csvLine(e: ChainedEvent): string {
  const ev = e.event;
  return (
    [
      e.seq,
      ev.occurred_at,
      ev.actor.type,
      ev.actor.id,
      ev.action,
      ev.target.type,
      ev.target.id,
      ev.ip,
      canonicalJson(ev.data),
      e.prev_hash,
      e.hash,
    ]
      .map(csvCell)
      .join(",") + "\r\n"
  );
}

export type AuditExport = { body: ReadableStream<Uint8Array>; filename: string; contentType: string };

/** What one export streams: a range fixed at request time (lib/audit/export-requests.ts). */
export type ExportSpec = {
  exportId: string;
  format: "jsonl" | "csv";
  from: Date | null;
  to: Date | null;
  throughSeq: number;
  /**
   * The most bytes this export may hand over: its estimate, an upper bound,
   * which an approval (or the absence of a gate) was given for. Reaching it
   * ends the stream in an error instead of exporting more than was allowed.
   */
  maxBytes: number;
};

export function openExportStream(ctx: OrgContext, spec: ExportSpec): AuditExport {
  assertCan(ctx, "audit:export");
  const orgId = ctx.org.id;
  const query = { format: spec.format, from: spec.from ?? undefined, to: spec.to ?? undefined };
  const throughSeq = spec.throughSeq;
  const encoder = new TextEncoder();
  const digest = createHash("sha256");
  let after = 0;
  let events = 0;
  let bytes = 0;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  let recorded = false;
  let cancelled = false;

  const emit = (controller: ReadableStreamDefaultController<Uint8Array>, text: string) => {
    const chunk = encoder.encode(text);
    bytes += chunk.length;
    digest.update(chunk);
    controller.enqueue(chunk);
  };

  const record = async (completed: boolean) => {
    if (recorded) return;
    recorded = true;
    await withTenant(tenantOf(ctx), (tx) =>
      appendAuditEvent(tx, {
        orgId,
        actor: actorOf(ctx),
        action: "audit.exported",
        target: { type: "audit_log", id: null },
        ip: ctx.ip,
        data: {
          export_id: spec.exportId,
          format: query.format,
          from: query.from?.toISOString() ?? null,
          to: query.to?.toISOString() ?? null,
          through_seq: throughSeq,
          completed,
          events,
          bytes,
          first_seq: firstSeq,
          last_seq: lastSeq,
          sha256: completed ? digest.copy().digest("hex") : null,
        },
      }),
    );
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (query.format === "csv") emit(controller, csvHeader());
      },
      async pull(controller) {
        try {
          const page = await readEventPage(orgId, {
            afterSeq: after,
            throughSeq,
            limit: EXPORT_PAGE,
            from: query.from,
            to: query.to,
          });
          if (cancelled) return;
          if (page.length === 0) {
            await record(true);
            controller.close();
            return;
          }
          const text = page.map(query.format === "csv" ? csvLine : eventLine).join("");
          if (bytes + Buffer.byteLength(text) > spec.maxBytes) {
            throw new Error(`export ${spec.exportId} grew past its approved size of ${spec.maxBytes} bytes`);
          }
          emit(controller, text);
          events += page.length;
          firstSeq ??= page[0]!.seq;
          lastSeq = page[page.length - 1]!.seq;
          after = lastSeq;
        } catch (e) {
          log().error({ err: e, orgId, requestId: ctx.requestId }, "audit export failed");
          await record(false).catch((err: unknown) =>
            log().error({ err, orgId }, "could not record a failed audit export"),
          );
          controller.error(e);
        }
      },
      async cancel() {
        // The client went away: record what it had been given.
        cancelled = true;
        await record(false).catch((err: unknown) =>
          log().error({ err, orgId }, "could not record a cancelled audit export"),
        );
      },
    },
    { highWaterMark: 1 },
  );

  const stamp = (d: Date | undefined, fallback: string) => (d ? d.toISOString().replace(/[:.]/g, "-") : fallback);
  return {
    body,
    filename: `warden-audit-${ctx.org.slug}-${stamp(query.from, "start")}-${stamp(query.to, "now")}.${query.format}`,
    contentType: query.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
  };
}
