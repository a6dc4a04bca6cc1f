import type { Metadata } from "next";
import Link from "next/link";
import { Checklist, scoreTone } from "@/components/security/checklist";
import { RecordSnapshotButton } from "@/components/security/record-snapshot-button";
import { Table } from "@/components/table";
import { Badge, Card, PageHeader, formatUtc } from "@/components/ui";
import { computePosture } from "@/lib/posture/compute-posture";
import { listSnapshots } from "@/lib/posture/snapshots";
import { can } from "@/lib/rbac/context";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Security" };

export default async function SecurityPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "security:read");
  const [report, history] = await Promise.all([computePosture(ctx), listSnapshots(ctx, { limit: 30 })]);
  const base = `/${ctx.org.slug}/security`;
  const linkClass = "text-sm font-medium text-slate-900 underline underline-offset-2";

  return (
    <>
      <PageHeader
        title="Security"
        description="A checklist computed from this organization's settings, keys, policy, agents, alert rules and audit trail, as it stands now."
        actions={can(ctx, "org:admin") ? <RecordSnapshotButton org={ctx.org.slug} /> : undefined}
      />
      <div className="mb-6 grid gap-4 md:grid-cols-3">
        <Card title="Score">
          <p className="text-4xl font-semibold text-slate-900" data-testid="posture-score">
            {report.score}
            <span className="text-base font-normal text-slate-500"> / 100</span>
          </p>
          <p className="mt-2">
            <Badge tone={scoreTone(report.score)}>
              {report.counts.pass} pass · {report.counts.warn} partly · {report.counts.fail} fail ·{" "}
              {report.counts.not_available} not available
            </Badge>
          </p>
          <p className="mt-2 text-xs text-slate-500">
            {report.points.earned} of {report.points.possible} points: each item weighs by risk (critical 10, high 6,
            medium 3, low 1); items not available are not counted. Computed {formatUtc(report.generated_at)}.
          </p>
        </Card>
        <Card title="Export">
          <ul className="space-y-2">
            <li>
              <a
                href={`/api/v1/security/report?org=${encodeURIComponent(ctx.org.slug)}`}
                className={linkClass}
                data-testid="export-json"
              >
                Download JSON
              </a>
              <p className="text-xs text-slate-500">Stored in the history and audited with its SHA-256.</p>
            </li>
            <li>
              <Link href={`${base}/report`} className={linkClass} data-testid="printable-report">
                Printable report
              </Link>
            </li>
          </ul>
        </Card>
        <Card title="When something goes wrong">
          <p className="text-sm text-slate-600">
            The incident-response runbook: a leaked key, a compromised account, a suspected tampered log, a misbehaving
            agent.
          </p>
          <Link
            href={`${base}/incident-response`}
            className={`${linkClass} mt-2 inline-block`}
            data-testid="incident-response-link"
          >
            Incident response runbook
          </Link>
        </Card>
      </div>
      <Checklist report={report} org={ctx.org.slug} />
      <Card title="History" className="mt-6">
        <Table
          label="Posture history"
          testId="posture-history"
          rows={history}
          rowKey={(s) => s.id}
          empty="No snapshots yet. Each JSON export and each recorded snapshot is kept here."
          columns={[
            { header: "When", cell: (s) => formatUtc(s.created_at) },
            { header: "Score", cell: (s) => <Badge tone={scoreTone(s.score)}>{s.score}</Badge> },
            { header: "Pass", cell: (s) => s.passed, align: "right" },
            { header: "Not passing", cell: (s) => s.failed, align: "right" },
            { header: "Not available", cell: (s) => s.not_available, align: "right" },
            { header: "Why", cell: (s) => (s.reason === "export" ? "JSON export" : "Recorded") },
            {
              header: "Report",
              cell: (s) => (
                <Link href={`${base}/snapshots/${s.id}`} className="underline underline-offset-2">
                  View
                </Link>
              ),
            },
          ]}
        />
      </Card>
    </>
  );
}
