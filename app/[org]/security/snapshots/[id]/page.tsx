import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { PrintableReport } from "@/components/security/printable-report";
import { AppError } from "@/lib/errors";
import { getSnapshot, snapshotParamsSchema, type Snapshot } from "@/lib/posture/snapshots";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Security snapshot" };

export default async function SnapshotPage({ params }: { params: Promise<{ org: string; id: string }> }) {
  const { org, id } = await params;
  const ctx = await requireOrgPage(org, "security:read");
  const parsed = snapshotParamsSchema.safeParse({ id });
  if (!parsed.success) notFound();
  let snapshot: Snapshot;
  try {
    snapshot = await getSnapshot(ctx, parsed.data.id);
  } catch (e) {
    if (e instanceof AppError && e.code === "not_found") notFound();
    throw e;
  }
  return (
    <PrintableReport
      report={snapshot.report}
      back={`/${ctx.org.slug}/security`}
      note={`Snapshot ${snapshot.id} (${snapshot.reason === "export" ? "JSON export" : "recorded"}), SHA-256 of its canonical JSON: ${snapshot.sha256}`}
    />
  );
}
