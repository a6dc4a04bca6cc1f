import Link from "next/link";
import type { PostureReport } from "@/lib/posture/checklist";
import { PageHeader, formatUtc } from "../ui";
import { Checklist } from "./checklist";
import { PrintButton } from "./print-button";

/** The report as an auditor attaches it to a review: the whole checklist with its evidence, no controls. */
export function PrintableReport({ report, back, note }: { report: PostureReport; back: string; note: string }) {
  return (
    <article data-testid="security-report">
      <PageHeader
        title={`Security posture: ${report.organization.name}`}
        description={`Generated ${formatUtc(report.generated_at)} for /${report.organization.slug}.`}
        actions={
          <div className="flex items-center gap-3 print:hidden">
            <Link href={back} className="text-sm underline underline-offset-2">
              Back
            </Link>
            <PrintButton />
          </div>
        }
      />
      <p className="mb-2 text-2xl font-semibold" data-testid="report-score">
        Score {report.score} / 100
      </p>
      <p className="mb-6 text-sm text-slate-600">
        {report.counts.pass} pass, {report.counts.warn} partly, {report.counts.fail} fail, {report.counts.not_available}{" "}
        not available; {report.points.earned} of {report.points.possible} points (critical 10, high 6, medium 3, low 1).{" "}
        <span className="break-all">{note}</span>
      </p>
      <Checklist report={report} org={report.organization.slug} fixLinks={false} />
    </article>
  );
}
