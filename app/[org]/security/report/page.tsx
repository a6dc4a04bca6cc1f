import type { Metadata } from "next";
import { PrintableReport } from "@/components/security/printable-report";
import { computePosture } from "@/lib/posture/compute-posture";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Security report" };

export default async function SecurityReportPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "security:read");
  const report = await computePosture(ctx);
  return (
    <PrintableReport
      report={report}
      back={`/${ctx.org.slug}/security`}
      note="Computed live when this page was opened; not stored."
    />
  );
}
