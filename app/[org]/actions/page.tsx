import type { Metadata } from "next";
import Link from "next/link";
import { AutoRefresh } from "@/components/auto-refresh";
import { EffectBadge, RiskBadge, StatusBadge } from "@/components/firewall/badges";
import { Ago } from "@/components/time";
import { Table } from "@/components/table";
import { Button, Card, PageHeader, inputClass } from "@/components/ui";
import { redirect } from "next/navigation";
import { listActions } from "@/lib/actions/get-action";
import { ACTION_STATUSES } from "@/lib/actions/schemas";
import { listAgents } from "@/lib/agents/agents";
import { AppError } from "@/lib/errors";
import { can } from "@/lib/rbac/context";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Actions" };

const PAGE_SIZE = 50;

type Search = { status?: string; agent?: string; cursor?: string };

function query(base: Search, extra: Search): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...base, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

export default async function ActionsPage({
  params,
  searchParams,
}: {
  params: Promise<{ org: string }>;
  searchParams: Promise<Search>;
}) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "actions:read");
  const sp = await searchParams;
  const status = (ACTION_STATUSES as readonly string[]).includes(sp.status ?? "") ? sp.status : undefined;
  const agent = sp.agent && /^[a-z0-9-]{1,50}$/.test(sp.agent) ? sp.agent : undefined;
  const cursor = sp.cursor && /^[0-9a-f-]{36}$/i.test(sp.cursor) ? sp.cursor : undefined;
  const base = `/${ctx.org.slug}/actions`;

  let page: Awaited<ReturnType<typeof listActions>>;
  try {
    page = await listActions(ctx, { status, agent, cursor, limit: PAGE_SIZE });
  } catch (e) {
    // A cursor from another organization, or one whose action is gone: start from the newest.
    if (!cursor || !(e instanceof AppError) || e.code !== "validation_failed") throw e;
    redirect(`${base}${query({ status, agent }, {})}`);
  }
  const { actions, next_cursor: nextCursor } = page;
  const agents = can(ctx, "agents:read") ? await listAgents(ctx) : [];
  const filters = { status, agent };
  const older = Boolean(cursor);

  return (
    <>
      <PageHeader
        title="Actions"
        description="Everything agents asked to do, with Warden's decision. Parameters are shown redacted."
        actions={older ? undefined : <AutoRefresh />}
      />
      <Card className="mb-6">
        <form method="get" action={base} className="flex flex-wrap items-end gap-3" aria-label="Filter actions">
          <div>
            <label htmlFor="filter-status" className="block text-sm font-medium text-slate-700">
              Status
            </label>
            <select id="filter-status" name="status" defaultValue={status ?? ""} className={`${inputClass} mt-1`}>
              <option value="">Any status</option>
              {ACTION_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="filter-agent" className="block text-sm font-medium text-slate-700">
              Agent
            </label>
            <select id="filter-agent" name="agent" defaultValue={agent ?? ""} className={`${inputClass} mt-1`}>
              <option value="">Any agent</option>
              {agents.map((a) => (
                <option key={a.id} value={a.slug}>
                  {a.slug}
                  {a.disabled ? " (disabled)" : ""}
                </option>
              ))}
            </select>
          </div>
          <Button type="submit">Apply filters</Button>
          {(status || agent || cursor) && (
            <Link href={base} className="py-2 text-sm font-medium text-slate-700 underline">
              Clear
            </Link>
          )}
        </form>
      </Card>

      <Card
        title={older ? "Older actions" : "Most recent actions"}
        actions={
          older ? (
            <Link href={`${base}${query(filters, {})}`} className="text-sm font-medium underline">
              Back to newest
            </Link>
          ) : undefined
        }
      >
        <Table
          rows={actions}
          rowKey={(a) => a.id}
          rowProps={(a) => ({ "data-testid": `action-row-${a.id}` })}
          label="Actions"
          testId="actions-table"
          empty={
            <p data-testid="actions-empty">
              {status || agent || cursor
                ? "No actions match these filters."
                : "No actions yet. They appear here as soon as an agent submits one."}
            </p>
          }
          columns={[
            {
              header: "When",
              className: "sm:whitespace-nowrap text-slate-600",
              cell: (a) => <Ago iso={a.created_at} />,
            },
            {
              header: "Agent",
              className: "sm:whitespace-nowrap font-mono text-xs",
              cell: (a) => a.agent.slug ?? "—",
            },
            {
              header: "Action",
              cell: (a) => (
                <Link
                  href={`${base}/${a.id}`}
                  className="font-mono text-xs font-medium break-all text-slate-900 underline"
                >
                  {a.tool}.{a.operation}
                </Link>
              ),
            },
            { header: "Status", cell: (a) => <StatusBadge status={a.status} /> },
            {
              header: "Decision",
              cell: (a) => (
                <div className="flex flex-wrap gap-1">
                  <EffectBadge effect={a.decision} />
                  <RiskBadge risk={a.risk_level} />
                </div>
              ),
            },
            {
              header: "Rule",
              className: "text-xs text-slate-600",
              cell: (a) =>
                a.rule
                  ? `${a.rule.name ?? `rule ${a.rule.index + 1}`} (v${a.policy_version ?? "?"})`
                  : a.decided_by === "registry"
                    ? "tool registry"
                    : "—",
            },
          ]}
        />
        {nextCursor && (
          <div className="mt-4 flex justify-end">
            <Link href={`${base}${query(filters, { cursor: nextCursor })}`} className="text-sm font-medium underline">
              Older actions →
            </Link>
          </div>
        )}
      </Card>
    </>
  );
}
