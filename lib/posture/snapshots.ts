import { createHash } from "node:crypto";
import { z } from "zod";
import { appendAuditEvent } from "../audit/append-event";
import { withTenant } from "../db/tenant";
import { AppError } from "../errors";
import { canonicalJson } from "../json";
import { actorOf, assertCan, tenantOf, userIdOf, type OrgContext } from "../rbac/context";
import type { PostureReport } from "./checklist";
import { computePosture } from "./compute-posture";

export type SnapshotSummary = {
  id: string;
  created_at: string;
  created_by: string | null;
  reason: "manual" | "export";
  score: number;
  passed: number;
  failed: number;
  not_available: number;
};

export type Snapshot = SnapshotSummary & { report: PostureReport; sha256: string };

export const snapshotParamsSchema = z.object({ id: z.uuid() });
export const listSnapshotsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

type Row = {
  id: string;
  createdAt: Date;
  createdBy: string | null;
  reason: string;
  score: number;
  passed: number;
  failed: number;
  notAvailable: number;
};

function toSummary(r: Row): SnapshotSummary {
  return {
    id: r.id,
    created_at: r.createdAt.toISOString(),
    created_by: r.createdBy,
    reason: r.reason as SnapshotSummary["reason"],
    score: r.score,
    passed: r.passed,
    failed: r.failed,
    not_available: r.notAvailable,
  };
}

/** The bytes an exported report is (and its SHA-256 is of): canonical JSON, so it can be rechecked. */
export function reportBytes(report: PostureReport): string {
  return canonicalJson(report);
}

/**
 * Computes the posture now and keeps it in the history, audited in the same
 * transaction: `security.posture_recorded` (an admin's "record now") or
 * `security.posture_exported` (a JSON export, which is the stored snapshot, so
 * what an auditor attached can be found again by its id and hash).
 */
export async function recordSnapshot(ctx: OrgContext, reason: "manual" | "export"): Promise<Snapshot> {
  assertCan(ctx, reason === "manual" ? "org:admin" : "security:read");
  const report = await computePosture(ctx);
  const sha256 = createHash("sha256").update(reportBytes(report)).digest("hex");
  return withTenant(tenantOf(ctx), async (tx) => {
    const row = await tx.securityPostureSnapshot.create({
      data: {
        orgId: ctx.org.id,
        createdBy: userIdOf(ctx),
        reason,
        score: report.score,
        passed: report.counts.pass,
        failed: report.counts.fail + report.counts.warn,
        notAvailable: report.counts.not_available,
        report: report as object,
      },
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: reason === "manual" ? "security.posture_recorded" : "security.posture_exported",
      target: { type: "security_posture_snapshot", id: row.id },
      ip: ctx.ip,
      data: {
        score: report.score,
        counts: report.counts,
        failing: report.items.filter((i) => i.status === "fail").map((i) => i.id),
        sha256,
      },
    });
    return { ...toSummary(row), report, sha256 };
  });
}

/** The history, newest first (security:read). */
export async function listSnapshots(ctx: OrgContext, query: { limit: number }): Promise<SnapshotSummary[]> {
  assertCan(ctx, "security:read");
  const rows = await withTenant(tenantOf(ctx), (tx) =>
    tx.securityPostureSnapshot.findMany({
      where: { orgId: ctx.org.id },
      orderBy: { createdAt: "desc" },
      take: query.limit,
      omit: { report: true, orgId: true },
    }),
  );
  return rows.map(toSummary);
}

/** One stored snapshot with its report; another organization's id is not found. */
export async function getSnapshot(ctx: OrgContext, id: string): Promise<Snapshot> {
  assertCan(ctx, "security:read");
  const row = await withTenant(tenantOf(ctx), (tx) =>
    tx.securityPostureSnapshot.findUnique({ where: { orgId_id: { orgId: ctx.org.id, id } } }),
  );
  if (!row) throw new AppError("not_found", "Snapshot not found");
  const report = row.report as unknown as PostureReport;
  return { ...toSummary(row), report, sha256: createHash("sha256").update(reportBytes(report)).digest("hex") };
}
