import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ProofPackButton } from "@/components/audit/proof-pack-button";
import { Table } from "@/components/table";
import { Badge, Card, PageHeader, formatUtc } from "@/components/ui";
import { getAction } from "@/lib/actions/get-action";
import { listActionAuditEvents } from "@/lib/audit/action-events";
import { isUuid } from "@/lib/db/scope";
import { AppError } from "@/lib/errors";
import { can } from "@/lib/rbac/context";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Action" };

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-1 py-2 sm:grid-cols-4">
      <dt className="text-sm font-medium text-slate-600">{label}</dt>
      <dd className="text-sm text-slate-900 sm:col-span-3">{children}</dd>
    </div>
  );
}

/**
 * An action as the audit section shows it: what was asked, what was decided
 * and by whom, its audit events, and its proof pack. (The action firewall's
 * own action pages may link here or carry the same button.)
 */
export default async function AuditActionPage({ params }: { params: Promise<{ org: string; id: string }> }) {
  const { org, id } = await params;
  const ctx = await requireOrgPage(org, "audit:read");
  if (!isUuid(id)) notFound();
  const action = await getAction(ctx, id).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "not_found") notFound();
    throw err;
  });
  const events = await listActionAuditEvents(ctx, id);
  const base = `/${ctx.org.slug}/audit`;

  return (
    <>
      <PageHeader
        title={`${action.tool} / ${action.operation}`}
        description={
          <>
            <span className="font-mono text-xs">action {action.id}</span> ·{" "}
            <Link className="underline" href={base}>
              Back to the trail
            </Link>{" "}
            ·{" "}
            <Link className="underline" href={`/${ctx.org.slug}/actions/${action.id}`}>
              Open in Actions
            </Link>
          </>
        }
        actions={can(ctx, "audit:export") ? <ProofPackButton org={ctx.org.slug} actionId={action.id} /> : undefined}
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Request">
          <dl className="divide-y divide-slate-100">
            <Row label="Status">
              <Badge
                tone={
                  action.status === "approved" || action.status === "allowed" || action.status === "executed"
                    ? "green"
                    : action.status === "pending"
                      ? "amber"
                      : "red"
                }
              >
                {action.status}
              </Badge>
            </Row>
            <Row label="Agent">{action.agent.slug ?? action.agent.id}</Row>
            <Row label="Submitted (UTC)">{formatUtc(action.created_at)}</Row>
            <Row label="Payload hash">
              <span className="font-mono text-xs break-all">{action.payload_hash}</span>
            </Row>
            <Row label="Parameters">
              {action.payload_expired ? (
                <span className="text-slate-500">Removed by the retention policy (the hash above remains).</span>
              ) : (
                <pre className="overflow-x-auto rounded bg-slate-50 p-2 font-mono text-xs">
                  {JSON.stringify(action.params, null, 2)}
                </pre>
              )}
            </Row>
          </dl>
        </Card>
        <Card title="Decision">
          <dl className="divide-y divide-slate-100">
            <Row label="Effect">
              {action.decision} · {action.risk_level} risk
            </Row>
            <Row label="Reason">{action.reason}</Row>
            <Row label="Rule">
              {action.rule ? (
                <>
                  #{action.rule.index} {action.rule.name}{" "}
                  <code className="block text-xs text-slate-600">{action.rule.condition}</code>
                </>
              ) : (
                `none (${action.decided_by})`
              )}
            </Row>
            <Row label="Policy version">{action.policy_version ?? "—"}</Row>
            <Row label="Approvals">
              {action.approval ? (
                <ul className="space-y-1">
                  <li>
                    {action.approval.status} · {action.approval.approvals} of {action.approval.required}
                  </li>
                  {action.approval.decisions.map((d) => (
                    <li key={d.approver_id} className="text-xs text-slate-600">
                      {d.decision} by {d.approver_email ?? d.approver_id} at {formatUtc(d.decided_at)}
                      {d.mfa ? " (MFA)" : ""}: {d.reason}
                    </li>
                  ))}
                </ul>
              ) : (
                "none needed"
              )}
            </Row>
          </dl>
        </Card>
      </div>
      <Card title={`Audit events (${events.length})`} className="mt-6">
        <Table
          rows={events}
          rowKey={(e) => e.seq}
          label="Audit events of this action"
          testId="action-events"
          columns={[
            {
              header: "#",
              className: "tabular-nums",
              cell: (e) => (
                <Link className="underline" href={`${base}/events/${e.seq}`}>
                  {e.seq}
                </Link>
              ),
            },
            {
              header: "When (UTC)",
              className: "text-slate-600",
              cell: (e) => <time dateTime={e.event.occurred_at}>{formatUtc(e.event.occurred_at)}</time>,
            },
            { header: "Event", className: "font-mono text-xs", cell: (e) => e.event.action },
            { header: "Actor", className: "text-slate-600", cell: (e) => e.actor_label ?? e.event.actor.type },
          ]}
        />
      </Card>
    </>
  );
}
