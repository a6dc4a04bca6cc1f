import type { Metadata } from "next";
import Link from "next/link";
import { StatusBadge } from "@/components/firewall/badges";
import { Countdown } from "@/components/time";
import { Table } from "@/components/table";
import { Badge, Card, PageHeader, formatUtc } from "@/components/ui";
import { ACTION_STATUSES } from "@/lib/actions/schemas";
import { getOverview } from "@/lib/orgs/get-overview";
import { requireOrgPage } from "@/lib/http/page";
import { ROLE_LABEL, ROLES } from "@/lib/rbac/permissions";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "dashboard:read");
  const overview = await getOverview(ctx);
  const totalMembers = ROLES.reduce((n, r) => n + overview.members[r], 0);

  return (
    <>
      <PageHeader
        title={overview.org.name}
        description={`Organization “${overview.org.slug}” · you are ${ROLE_LABEL[ctx.role].toLowerCase()}`}
      />
      {(overview.pending_approvals || overview.actions_24h || overview.agents) && (
        <div className="mb-4 grid gap-4 md:grid-cols-3">
          {overview.pending_approvals && (
            <Card title="Waiting for approval">
              <p className="text-3xl font-semibold tabular-nums" data-testid="pending-approvals">
                {overview.pending_approvals.count}
              </p>
              <p className="mt-1 text-sm text-slate-600">
                {overview.pending_approvals.count === 0 ? (
                  "Nothing is waiting for a decision."
                ) : (
                  <>
                    next expires in <Countdown iso={overview.pending_approvals.next_expires_at!} />
                  </>
                )}
              </p>
              <Link
                href={`/${overview.org.slug}/approvals`}
                className="mt-3 inline-block text-sm font-medium underline"
              >
                Open the queue
              </Link>
            </Card>
          )}
          {overview.actions_24h && (
            <Card title="Actions, last 24 hours">
              <p className="text-3xl font-semibold tabular-nums" data-testid="actions-24h">
                {overview.actions_24h.total}
              </p>
              {overview.actions_24h.total === 0 ? (
                <p className="mt-1 text-sm text-slate-600">No agent has submitted an action today.</p>
              ) : (
                <ul
                  className="mt-3 space-y-1 text-sm"
                  data-testid="actions-24h-by-status"
                  aria-label="By current status"
                >
                  {ACTION_STATUSES.filter((st) => overview.actions_24h!.by_status[st]).map((st) => (
                    <li key={st} className="flex items-center justify-between">
                      <Link href={`/${overview.org.slug}/actions?status=${st}`} className="hover:underline">
                        <StatusBadge status={st} />
                      </Link>
                      <span className="tabular-nums">{overview.actions_24h!.by_status[st]}</span>
                    </li>
                  ))}
                </ul>
              )}
            </Card>
          )}
          {overview.agents && (
            <Card title="Agents">
              <p className="text-3xl font-semibold tabular-nums" data-testid="agent-count">
                {overview.agents.total}
              </p>
              <p className="mt-1 text-sm text-slate-600">
                {overview.agents.disabled > 0 ? `${overview.agents.disabled} disabled` : "none disabled"}
              </p>
              <Link href={`/${overview.org.slug}/agents`} className="mt-3 inline-block text-sm font-medium underline">
                See agents
              </Link>
            </Card>
          )}
        </div>
      )}
      <div className="grid gap-4 md:grid-cols-3">
        <Card title="Members">
          <p className="text-3xl font-semibold" data-testid="member-count">
            {totalMembers}
          </p>
          <ul className="mt-3 space-y-1 text-sm text-slate-600">
            {ROLES.map((r) => (
              <li key={r} className="flex justify-between">
                <span>{ROLE_LABEL[r]}</span>
                <span className="tabular-nums">{overview.members[r]}</span>
              </li>
            ))}
          </ul>
        </Card>
        <Card title="Audit trail">
          <p className="text-3xl font-semibold tabular-nums">{overview.audit.events}</p>
          <p className="mt-1 text-sm text-slate-600">events in the hash chain</p>
          <p className="mt-3 truncate font-mono text-xs text-slate-500" title={overview.audit.head_hash}>
            head {overview.audit.head_hash.slice(0, 16)}…
          </p>
        </Card>
        <Card title="Session policy">
          <ul className="space-y-1 text-sm text-slate-600">
            <li className="flex justify-between">
              <span>Idle timeout</span>
              <span>{overview.session_policy.idle_minutes} min</span>
            </li>
            <li className="flex justify-between">
              <span>Absolute timeout</span>
              <span>{overview.session_policy.absolute_hours} h</span>
            </li>
          </ul>
        </Card>
      </div>

      {overview.recent_activity && (
        <Card title="Recent activity" className="mt-6">
          <Table
            rows={overview.recent_activity}
            rowKey={(e) => e.seq}
            label="Recent activity"
            testId="recent-activity"
            empty="No events yet."
            columns={[
              { header: "#", className: "tabular-nums text-slate-500", cell: (e) => e.seq },
              {
                header: "When",
                className: "sm:whitespace-nowrap text-slate-600",
                cell: (e) => <time dateTime={e.occurred_at}>{formatUtc(e.occurred_at)}</time>,
              },
              { header: "Event", cell: (e) => <Badge tone="blue">{e.action}</Badge> },
              { header: "Actor", className: "text-slate-700 break-all", cell: (e) => e.actor },
              {
                header: "Target",
                className: "font-mono text-xs text-slate-500 break-all",
                cell: (e) => e.target ?? "—",
              },
            ]}
          />
        </Card>
      )}
    </>
  );
}
