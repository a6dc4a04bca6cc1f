import type { Metadata } from "next";
import { PolicyWorkbench } from "@/components/policies/policy-workbench";
import { ReferencePanel } from "@/components/policies/reference-panel";
import { RulesView } from "@/components/policies/rules-view";
import { TestPanel } from "@/components/policies/test-panel";
import { VersionHistory } from "@/components/policies/version-history";
import { Alert, Badge, Card, PageHeader, formatUtc } from "@/components/ui";
import { listAgents } from "@/lib/agents/agents";
import { listPolicyVersions } from "@/lib/policy/versions";
import { can } from "@/lib/rbac/context";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Policies" };

export default async function PoliciesPage({
  params,
  searchParams,
}: {
  params: Promise<{ org: string }>;
  searchParams: Promise<{ version?: string; published?: string }>;
}) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "policies:read");
  const sp = await searchParams;
  const versions = await listPolicyVersions(ctx);
  const agents = can(ctx, "agents:read")
    ? (await listAgents(ctx)).map((a) => ({ slug: a.slug, environment: a.environment }))
    : [];
  const active = versions.find((v) => v.active) ?? null;
  const requested = sp.version ? versions.find((v) => String(v.version) === sp.version) : undefined;
  const selected = requested ?? active ?? versions[0] ?? null;
  const canWrite = can(ctx, "policies:write");
  const slug = ctx.org.slug;
  const justPublished = sp.published && active && String(active.version) === sp.published ? active.version : null;

  return (
    <>
      <PageHeader
        title="Policies"
        description="The rules that decide every agent action. Rules run in order; the first that matches decides; nothing matched means deny."
      />
      <div className="space-y-6">
        {justPublished !== null && (
          <Alert tone="green" role="status">
            v{justPublished} is now the active policy. The next action any agent submits is decided by it.
          </Alert>
        )}
        {sp.version && !requested && (
          <Alert tone="amber">There is no version {sp.version}; showing the active policy.</Alert>
        )}

        <Card title="Active policy">
          {active ? (
            <div
              className="flex flex-wrap items-center gap-x-6 gap-y-2 text-sm text-slate-700"
              data-testid="active-policy"
            >
              <span>
                <Badge tone="green">active</Badge> <strong className="ml-1">v{active.version}</strong>
              </span>
              <span>
                {active.rule_count} rule{active.rule_count === 1 ? "" : "s"}
              </span>
              <span>
                published {formatUtc(active.published_at)}
                {active.published_by ? ` by ${active.published_by}` : ""}
              </span>
              <span className="font-mono text-xs text-slate-500" title={active.rules_sha256}>
                sha256 {active.rules_sha256.slice(0, 16)}…
              </span>
            </div>
          ) : (
            <p className="text-sm text-slate-600">No active policy: every action is denied.</p>
          )}
        </Card>

        {canWrite && selected ? (
          <PolicyWorkbench key={selected.id} org={slug} base={selected} active={active} agents={agents} />
        ) : (
          selected && (
            <div className="grid gap-6 xl:grid-cols-3">
              <div className="space-y-4 xl:col-span-2">
                <h2 className="text-sm font-semibold text-slate-900">
                  {selected.active
                    ? `Rules of the active policy (v${selected.version})`
                    : `Rules of v${selected.version} (${selected.status}, not active)`}
                </h2>
                <RulesView rules={selected.rules} />
                <TestPanel org={slug} agents={agents} rules={null} />
              </div>
              <ReferencePanel />
            </div>
          )
        )}

        <VersionHistory org={slug} versions={versions} selected={selected?.version ?? null} canWrite={canWrite} />
      </div>
    </>
  );
}
