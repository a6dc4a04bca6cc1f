import { evaluatePendingInline } from "../alerts/evaluate-alerts";
import { requireOrgStepUp } from "../auth/step-up";
import { lookupOrgsWithExpiredExports } from "../db/lookup";
import { withTenant, type Tx } from "../db/tenant";
import { log } from "../log";
import { AppError, notFound } from "../errors";
import { actorOf, assertCan, can, tenantOf, userIdOf, type OrgContext } from "../rbac/context";
import { parseOr422 } from "../validation";
import { appendAuditEvent, appendAuditEvents, type AuditInput } from "../audit/append-event";
import { eventLine } from "../audit/event-row";
import { csvHeader, openExportStream, type AuditExport } from "../audit/export-events";
import type { ExportQuery } from "../audit/schemas";
import { decideExportSchema } from "./schemas";

/**
 * Audit exports go through a request (an area of its own above audit and
 * alerts: the request is evaluated by the alert rules, which read the audit
 * area, so neither of those imports the other). At request time the range is fixed
 * (the events in [from, to) up to the head seq read then) and its size is
 * estimated, as an upper bound, in the database. The request is recorded as
 * `audit.export_requested` (estimated_events, estimated_bytes) and alert
 * rules watching that event are evaluated at once, right after that
 * transaction commits and before the answer (evaluatePendingInline; the
 * audit head is locked only in the COMMIT round trip): a rule with a
 * `require_approval` response (template 4, "larger than 1 GB") holds the
 * request in `pending_approval` before anything is streamed. A download
 * catches the evaluation up first, so neither evaluation lag nor a crash
 * between the two transactions gives anybody a large export.
 *
 *   ready             → the requester downloads it (once, within an hour)
 *   pending_approval  → a person with approvals:decide who is not the
 *                       requester (nor, for a key, the key's creator) approves
 *                       or rejects it; past approval_expires_at it is expired
 *   approved          → the requester downloads it (once, within a day)
 *   started           → downloaded (or being); never again
 *
 * A stream never hands over more than the estimate: an export that would is
 * cut off with an error (and audited as incomplete), so an estimate cannot be
 * gamed into a larger export than the one approved.
 */

export const READY_DOWNLOAD_WINDOW_MS = 60 * 60 * 1000;
export const APPROVED_DOWNLOAD_WINDOW_MS = 24 * 60 * 60 * 1000;

export type ExportStatus = "ready" | "pending_approval" | "approved" | "rejected" | "expired" | "started";

export type ExportRequestView = {
  id: string;
  status: ExportStatus;
  format: "jsonl" | "csv";
  from: string | null;
  to: string | null;
  through_seq: number;
  estimated_events: number;
  estimated_bytes: number;
  requested_by: { type: "user" | "api_key"; id: string | null };
  requested_by_user_id: string | null;
  /** The requester's (or the key creator's) e-mail, as members see it. */
  requested_by_email: string | null;
  created_at: string;
  approval_expires_at: string | null;
  decided_by_user_id: string | null;
  decided_at: string | null;
  decision_reason: string | null;
  started_at: string | null;
  /** Until when the requester may start the download (ready or approved). */
  download_until: string | null;
  /** Set for the requester while the export may be downloaded. */
  download_url: string | null;
  you_requested: boolean;
  you_may_decide: boolean;
};

type Row = {
  id: string;
  requested_by_user_id: string | null;
  requested_by_email: string | null;
  requested_by_key_id: string | null;
  format: "jsonl" | "csv";
  from_at: Date | null;
  to_at: Date | null;
  through_seq: bigint;
  estimated_events: bigint;
  estimated_bytes: bigint;
  status: ExportStatus;
  approval_expires_at: Date | null;
  decided_by_user_id: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
  started_at: Date | null;
  created_at: Date;
};

const COLUMNS = `id::text, requested_by_user_id::text,
  (SELECT u.email FROM users u WHERE u.id = requested_by_user_id) AS requested_by_email, requested_by_key_id::text, format, from_at, to_at, through_seq,
  estimated_events, estimated_bytes, status, approval_expires_at, decided_by_user_id::text, decided_at,
  decision_reason, started_at, created_at`;

/** Who asked: the person, or the key and the person it acts for. */
function requester(ctx: OrgContext): { userId: string | null; keyId: string | null } {
  switch (ctx.principal.kind) {
    case "user":
      return { userId: ctx.principal.user.userId, keyId: null };
    case "api_key":
      return { userId: ctx.principal.key.createdByUserId, keyId: ctx.principal.key.id };
    case "system":
      throw new AppError("forbidden", "Exports are requested by people or API keys");
  }
}

function isRequester(ctx: OrgContext, r: Row): boolean {
  const me = requester(ctx);
  return me.keyId !== null
    ? r.requested_by_key_id === me.keyId
    : r.requested_by_key_id === null && r.requested_by_user_id === me.userId;
}

function downloadUntil(r: Row): number | null {
  if (r.status === "ready") return r.created_at.getTime() + READY_DOWNLOAD_WINDOW_MS;
  if (r.status === "approved" && r.decided_at) return r.decided_at.getTime() + APPROVED_DOWNLOAD_WINDOW_MS;
  return null;
}

/** The status a reader sees: a request whose time ran out is expired, whether or not a write recorded it yet. */
export function effectiveStatus(r: Row, now = Date.now()): ExportStatus {
  if (r.status === "pending_approval" && r.approval_expires_at && r.approval_expires_at.getTime() <= now)
    return "expired";
  const until = downloadUntil(r);
  if (until !== null && until <= now) return "expired";
  return r.status;
}

function toView(ctx: OrgContext, r: Row, now = Date.now()): ExportRequestView {
  const status = effectiveStatus(r, now);
  const mine = ctx.principal.kind !== "system" && isRequester(ctx, r);
  const me = userIdOf(ctx);
  const until = status === "ready" || status === "approved" ? downloadUntil(r) : null;
  return {
    id: r.id,
    status,
    format: r.format,
    from: r.from_at?.toISOString() ?? null,
    to: r.to_at?.toISOString() ?? null,
    through_seq: Number(r.through_seq),
    estimated_events: Number(r.estimated_events),
    estimated_bytes: Number(r.estimated_bytes),
    requested_by: r.requested_by_key_id
      ? { type: "api_key", id: r.requested_by_key_id }
      : { type: "user", id: r.requested_by_user_id },
    requested_by_user_id: r.requested_by_user_id,
    requested_by_email: r.requested_by_email,
    created_at: r.created_at.toISOString(),
    approval_expires_at: r.approval_expires_at?.toISOString() ?? null,
    decided_by_user_id: r.decided_by_user_id,
    decided_at: r.decided_at?.toISOString() ?? null,
    decision_reason: r.decision_reason,
    started_at: r.started_at?.toISOString() ?? null,
    download_until: until ? new Date(until).toISOString() : null,
    download_url: mine && until ? `/api/v1/audit/exports/${r.id}/download` : null,
    you_requested: mine,
    you_may_decide:
      status === "pending_approval" &&
      me !== null &&
      ctx.principal.kind === "user" &&
      me !== r.requested_by_user_id &&
      can(ctx, "approvals:decide"),
  };
}

/**
 * Upper bounds of an export's size, per event, computed in the database from
 * the stored columns: each field's JSON (or CSV cell) length, the data's
 * jsonb text (never shorter than its canonical JSON: jsonb adds spaces and
 * writes numbers in full), plus the fixed part of every line.
 */
const JSONL_FIXED =
  eventLine({
    seq: 0,
    prev_hash: "",
    hash: "",
    event: {
      v: 1,
      id: "",
      org_id: "",
      occurred_at: "",
      actor: { type: "", id: "" },
      action: "",
      target: { type: "", id: "" },
      ip: "",
      data: {},
    },
  }).length -
  1 /* seq "0" */ -
  6 * 2 /* six "" counted per row with their quotes */ -
  2 /* {} */ +
  2 * 64 /* hashes */ +
  2 * 36 /* ids */ +
  24; /* occurred_at */

const jsonField = (col: string) => `octet_length(coalesce(to_json(${col}::text)::text, 'null'))`;
const csvField = (col: string) => `(octet_length(replace(coalesce(${col}::text, ''), '"', '""')) + 3)`;

const SIZE_EXPR = {
  jsonl: `${JSONL_FIXED} + length(seq::text) + ${["actor_type", "actor_id", "action", "target_type", "target_id", "ip"].map(jsonField).join(" + ")}
          + octet_length(coalesce(data::text, '{}'))`,
  csv: `(24 + 2 * 64 + 10 + 2) + length(seq::text) + ${["actor_type", "actor_id", "action", "target_type", "target_id", "ip"].map(csvField).join(" + ")}
        + octet_length(replace(coalesce(data::text, '{}'), '"', '""')) + 2`,
} as const;

export async function estimateExport(
  tx: Tx,
  orgId: string,
  q: { format: "jsonl" | "csv"; from: Date | null; to: Date | null; throughSeq: number },
): Promise<{ events: number; bytes: number }> {
  const rows = await tx.$queryRawUnsafe<{ events: bigint; bytes: bigint | null }[]>(
    `SELECT count(*)::bigint AS events, sum(${SIZE_EXPR[q.format]})::bigint AS bytes
     FROM audit_events
     WHERE org_id = $1::uuid AND seq <= $2
       AND ($3::timestamptz IS NULL OR occurred_at >= $3) AND ($4::timestamptz IS NULL OR occurred_at < $4)`,
    orgId,
    q.throughSeq,
    q.from,
    q.to,
  );
  const header = q.format === "csv" ? Buffer.byteLength(csvHeader()) : 0;
  return { events: Number(rows[0]!.events), bytes: header + Number(rows[0]!.bytes ?? 0) };
}

/**
 * Records an export request and lets the alert rules hold it (see above). A
 * person with a second factor steps up for it (audit.export), consumed here
 * with the request: the later download is the request's, by its requester.
 */
export async function requestExport(
  ctx: OrgContext,
  query: ExportQuery,
  stepUpId: string | null,
): Promise<ExportRequestView> {
  assertCan(ctx, "audit:export");
  const who = requester(ctx);
  const orgId = ctx.org.id;
  const id = await withTenant(
    tenantOf(ctx),
    async (tx) => {
      const stepUp = await requireOrgStepUp(tx, ctx, stepUpId, "audit.export");
      const head = await tx.$queryRaw<{ seq: bigint }[]>`SELECT seq FROM audit_heads WHERE org_id = ${orgId}::uuid`;
      const throughSeq = Number(head[0]?.seq ?? 0);
      const spec = { format: query.format, from: query.from ?? null, to: query.to ?? null, throughSeq };
      const size = await estimateExport(tx, orgId, spec);
      const [row] = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO audit_export_requests (org_id, requested_by_user_id, requested_by_key_id, format, from_at, to_at,
                                           through_seq, estimated_events, estimated_bytes, status)
        VALUES (${orgId}::uuid, ${who.userId}::uuid, ${who.keyId}::uuid, ${spec.format}, ${spec.from}, ${spec.to},
                ${throughSeq}, ${size.events}, ${size.bytes}, 'ready')
        RETURNING id::text`;
      const id = row!.id;
      const data = {
        format: spec.format,
        from: spec.from?.toISOString() ?? null,
        to: spec.to?.toISOString() ?? null,
        through_seq: throughSeq,
        estimated_events: size.events,
        estimated_bytes: size.bytes,
        step_up: stepUp?.method ?? null,
      };
      // Sent with COMMIT (the head is locked only in that round trip).
      await appendAuditEvent(tx, {
        orgId,
        actor: actorOf(ctx),
        action: "audit.export_requested",
        target: { type: "audit_export", id },
        ip: ctx.ip,
        data,
      });
      return id;
    },
    { timeoutMs: 120_000 },
  );
  // What must hold at once (the approval of a large export) is decided now, before the answer.
  await evaluatePendingInline(orgId);
  return withTenant(tenantOf(ctx), async (tx) => toView(ctx, await load(tx, orgId, id)));
}

async function load(tx: Tx, orgId: string, id: string, opts: { lock?: boolean } = {}): Promise<Row> {
  const rows = await tx.$queryRawUnsafe<Row[]>(
    `SELECT ${COLUMNS} FROM audit_export_requests WHERE org_id = $1::uuid AND id = $2::uuid${opts.lock ? " FOR UPDATE" : ""}`,
    orgId,
    id,
  );
  if (!rows[0]) throw notFound("Export");
  return rows[0];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One request: for its requester, or for whoever may read the approval queue. */
export async function getExportRequest(ctx: OrgContext, id: string): Promise<ExportRequestView> {
  if (!can(ctx, "audit:export") && !can(ctx, "approvals:read")) {
    throw new AppError("forbidden", "This requires the audit:export or approvals:read permission");
  }
  if (!UUID.test(id)) throw notFound("Export");
  return withTenant(tenantOf(ctx), async (tx) => {
    const r = await load(tx, ctx.org.id, id);
    if (!can(ctx, "approvals:read") && !(ctx.principal.kind !== "system" && isRequester(ctx, r))) {
      throw notFound("Export");
    }
    return toView(ctx, r);
  });
}

/**
 * `mine`: the caller's own requests, newest first (audit:export).
 * `pending`: every request waiting for an approval, soonest expiry first (approvals:read).
 */
export async function listExportRequests(
  ctx: OrgContext,
  which: "mine" | "pending",
  limit = 50,
): Promise<ExportRequestView[]> {
  assertCan(ctx, which === "mine" ? "audit:export" : "approvals:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    let rows: Row[];
    if (which === "pending") {
      rows = await tx.$queryRawUnsafe<Row[]>(
        `SELECT ${COLUMNS} FROM audit_export_requests
         WHERE org_id = $1::uuid AND status = 'pending_approval' AND approval_expires_at > now()
         ORDER BY approval_expires_at LIMIT $2`,
        ctx.org.id,
        limit,
      );
    } else {
      const who = requester(ctx);
      rows = await tx.$queryRawUnsafe<Row[]>(
        `SELECT ${COLUMNS} FROM audit_export_requests
         WHERE org_id = $1::uuid AND ($2::uuid IS NULL AND requested_by_key_id IS NULL AND requested_by_user_id = $3::uuid
                                      OR requested_by_key_id = $2::uuid)
         ORDER BY created_at DESC LIMIT $4`,
        ctx.org.id,
        who.keyId,
        who.userId,
        limit,
      );
    }
    const now = Date.now();
    return rows.map((r) => toView(ctx, r, now));
  });
}

/** How many exports wait for a decision (the approval count in the navigation). */
export async function countPendingExports(tx: Tx, orgId: string): Promise<number> {
  const r = await tx.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM audit_export_requests
    WHERE org_id = ${orgId}::uuid AND status = 'pending_approval' AND approval_expires_at > now()`;
  return r[0]!.n;
}

/** Records that a request's time ran out (once), so the trail says why it never ran. */
async function recordExpiry(tx: Tx, orgId: string, r: Row): Promise<void> {
  const n = await tx.$executeRaw`
    UPDATE audit_export_requests SET status = 'expired'
    WHERE org_id = ${orgId}::uuid AND id = ${r.id}::uuid AND status = ${r.status}`;
  if (n === 1) {
    await appendAuditEvent(tx, {
      orgId,
      actor: { type: "system", id: null },
      action: "audit.export_expired",
      target: { type: "audit_export", id: r.id },
      data: { was: r.status },
    });
  }
}

/**
 * The expiry sweep (a background job): every request whose time ran out while
 * nobody looked is recorded as expired, with its audit event, so the trail says
 * why it never ran even if nobody opens it again. Readers already see such a
 * request as expired (effectiveStatus); this makes it a fact.
 */
export async function runExportExpirySweep(now = Date.now()): Promise<number> {
  let total = 0;
  const windows = {
    readySeconds: READY_DOWNLOAD_WINDOW_MS / 1000,
    approvedSeconds: APPROVED_DOWNLOAD_WINDOW_MS / 1000,
  };
  for (const orgId of await lookupOrgsWithExpiredExports(windows, 100)) {
    try {
      total += await withTenant({ orgId }, async (tx) => {
        const rows = await tx.$queryRawUnsafe<Row[]>(
          `SELECT ${COLUMNS} FROM audit_export_requests
           WHERE org_id = $1::uuid AND status IN ('pending_approval', 'approved', 'ready')
           ORDER BY created_at LIMIT 500 FOR UPDATE SKIP LOCKED`,
          orgId,
        );
        const expired = rows.filter((r) => effectiveStatus(r, now) === "expired");
        for (const r of expired) await recordExpiry(tx, orgId, r);
        return expired.length;
      });
    } catch (err) {
      log().error({ err, orgId }, "export expiry sweep failed for an organization");
    }
  }
  return total;
}

/**
 * An approver's decision on an export waiting for one. People only, with
 * approvals:decide, never the requester (nor the person behind the requesting
 * key): separation of duties. Once, while pending and unexpired.
 */
export async function decideExport(
  ctx: OrgContext,
  id: string,
  decision: "approved" | "rejected",
  raw: unknown,
): Promise<ExportRequestView> {
  assertCan(ctx, "approvals:decide");
  if (ctx.principal.kind !== "user") throw new AppError("forbidden", "Exports are approved by people, not API keys");
  const me = ctx.principal.user.userId;
  const input = parseOr422(decideExportSchema, raw ?? {});
  if (!UUID.test(id)) throw notFound("Export");
  const outcome = await withTenant(tenantOf(ctx), async (tx) => {
    const r = await load(tx, ctx.org.id, id, { lock: true });
    if (r.status === "pending_approval" && effectiveStatus(r) === "expired") {
      await recordExpiry(tx, ctx.org.id, r);
      return { kind: "expired" as const };
    }
    if (r.status !== "pending_approval") {
      throw new AppError("conflict", `This export is not waiting for an approval (it is ${effectiveStatus(r)})`);
    }
    if (r.requested_by_user_id === me) {
      throw new AppError(
        "forbidden",
        "You requested this export (or created the key that did); another approver must decide (separation of duties)",
      );
    }
    await tx.$executeRaw`
      UPDATE audit_export_requests
      SET status = ${decision}, decided_by_user_id = ${me}::uuid, decided_at = now(), decision_reason = ${input.reason}
      WHERE org_id = ${ctx.org.id}::uuid AND id = ${id}::uuid`;
    if (r.requested_by_user_id) {
      const title = decision === "approved" ? "Your audit export was approved" : "Your audit export was rejected";
      const body =
        decision === "approved"
          ? `Download it from the audit page within 24 hours. ${input.reason}`
          : `Reason: ${input.reason}`;
      await tx.$executeRaw`
        INSERT INTO notifications (org_id, user_id, severity, title, body)
        SELECT ${ctx.org.id}::uuid, m.user_id, 'info', ${title}, ${body.slice(0, 2000)}
        FROM memberships m WHERE m.org_id = ${ctx.org.id}::uuid AND m.user_id = ${r.requested_by_user_id}::uuid`;
    }
    const events: AuditInput[] = [
      {
        orgId: ctx.org.id,
        actor: actorOf(ctx),
        action: decision === "approved" ? "audit.export_approved" : "audit.export_rejected",
        target: { type: "audit_export", id },
        ip: ctx.ip,
        data: { reason: input.reason, estimated_bytes: Number(r.estimated_bytes), through_seq: Number(r.through_seq) },
      },
    ];
    await appendAuditEvents(tx, events);
    return { kind: "decided" as const, view: toView(ctx, await load(tx, ctx.org.id, id)) };
  });
  if (outcome.kind === "expired") throw new AppError("conflict", "This export's approval has expired");
  return outcome.view;
}

/**
 * Starts the download of a ready or approved export: only its requester,
 * once (the claim is one UPDATE … WHERE status IN (ready, approved)), within
 * its window, streaming exactly the range fixed at request time.
 */
export async function startExport(ctx: OrgContext, id: string): Promise<AuditExport> {
  assertCan(ctx, "audit:export");
  if (!UUID.test(id)) throw notFound("Export");
  // Every export request recorded so far has been through the alert rules
  // (its requester's own evaluation, unless that process died in between).
  await evaluatePendingInline(ctx.org.id);
  const claimed = await withTenant(tenantOf(ctx), async (tx) => {
    const r = await load(tx, ctx.org.id, id, { lock: true });
    if (!isRequester(ctx, r)) throw notFound("Export");
    const status = effectiveStatus(r);
    if (status === "expired" && r.status !== "expired") {
      await recordExpiry(tx, ctx.org.id, r);
      return { kind: "expired" as const };
    }
    if (status === "pending_approval") {
      throw new AppError("conflict", "This export is waiting for an approval");
    }
    if (status !== "ready" && status !== "approved") {
      throw new AppError("conflict", `This export cannot be downloaded (it is ${status})`);
    }
    await tx.$executeRaw`
      UPDATE audit_export_requests SET status = 'started', started_at = now()
      WHERE org_id = ${ctx.org.id}::uuid AND id = ${id}::uuid`;
    return { kind: "started" as const, row: r };
  });
  if (claimed.kind === "expired") throw new AppError("conflict", "This export has expired; request it again");
  const r = claimed.row;
  return openExportStream(ctx, {
    exportId: r.id,
    format: r.format,
    from: r.from_at,
    to: r.to_at,
    throughSeq: Number(r.through_seq),
    maxBytes: Number(r.estimated_bytes),
  });
}

/**
 * GET /api/v1/audit/export: request and, when nothing holds it, start at
 * once (one call, as before exports could wait); otherwise the request.
 */
export async function exportAuditEvents(
  ctx: OrgContext,
  query: ExportQuery,
  stepUpId: string | null,
): Promise<{ stream: AuditExport } | { pending: ExportRequestView }> {
  const req = await requestExport(ctx, query, stepUpId);
  if (req.status !== "ready") return { pending: req };
  return { stream: await startExport(ctx, req.id) };
}
