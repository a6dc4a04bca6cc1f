import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ActionDecision } from "@/components/actions/action-decision";
import { ActionWatcher } from "@/components/actions/action-watcher";
import { ProofPackButton } from "@/components/audit/proof-pack-button";
import { EffectBadge, RiskBadge, StatusBadge } from "@/components/firewall/badges";
import { DecisionList } from "@/components/firewall/decision-list";
import { JsonView, RedactedPaths } from "@/components/firewall/json-view";
import { Ago, Countdown } from "@/components/time";
import { Alert, Card, DetailList, PageHeader, formatUtc } from "@/components/ui";
import { getAction } from "@/lib/actions/get-action";
import { actionParamsSchema } from "@/lib/actions/schemas";
import { getApprovalForAction } from "@/lib/approvals/list-approvals";
import { AppError } from "@/lib/errors";
import { can } from "@/lib/rbac/context";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Action" };

const FINAL_WITHOUT_EXECUTION: Record<string, string> = {
  denied: "Denied: the agent was told not to proceed.",
  rejected: "Rejected by an approver: the agent was told not to proceed.",
  expired: "No decision before the deadline: the approval expired and the agent was told not to proceed.",
  cancelled: "Cancelled before a decision.",
};

export default async function ActionPage({ params }: { params: Promise<{ org: string; id: string }> }) {
  const { org, id } = await params;
  const ctx = await requireOrgPage(org, "actions:read");
  if (!actionParamsSchema.safeParse({ id }).success) notFound();
  const action = await getAction(ctx, id).catch((e: unknown) => {
    if (e instanceof AppError && e.code === "not_found") notFound();
    throw e;
  });
  const approval = action.approval && can(ctx, "approvals:read") ? await getApprovalForAction(ctx, id) : null;
  const subject = `${action.tool}.${action.operation} by ${action.agent.slug ?? "unknown agent"}`;
  const redacted = new Set(action.redacted_paths);
  const slug = ctx.org.slug;
  const hasContext =
    action.context !== null && typeof action.context === "object" && Object.keys(action.context as object).length > 0;

  return (
    <>
      <p className="mb-2 text-sm">
        <Link href={`/${slug}/actions`} className="text-slate-600 underline">
          ← Actions
        </Link>
      </p>
      <PageHeader
        title={`${action.tool}.${action.operation}`}
        description={
          <>
            Agent <span className="font-medium text-slate-900">{action.agent.slug ?? "—"}</span> · submitted{" "}
            {formatUtc(action.created_at)} (
            <Ago iso={action.created_at} />)
          </>
        }
        actions={
          <div className="flex flex-wrap items-center gap-2" data-testid="action-status">
            <StatusBadge status={action.status} />
            <RiskBadge risk={action.risk_level} />
            {/* A fetch with X-Warden-Org, so a refusal (a log that no longer verifies) shows as a message, not a file. */}
            {can(ctx, "audit:export") && <ProofPackButton org={slug} actionId={action.id} variant="secondary" />}
          </div>
        }
      />
      <div className="mb-6">
        <ActionWatcher org={slug} id={action.id} status={action.status} updatedAt={action.updated_at} />
      </div>

      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Decision">
          <DetailList
            items={[
              { label: "Decision", value: <EffectBadge effect={action.decision} />, testId: "detail-decision" },
              { label: "Status", value: <StatusBadge status={action.status} /> },
              { label: "Risk", value: <RiskBadge risk={action.risk_level} /> },
              { label: "Reason", value: action.reason, testId: "detail-reason" },
              {
                label: "Decided by",
                value: action.decided_by === "registry" ? "the agent's tool registry" : "the policy",
              },
              {
                label: "Rule",
                testId: "detail-rule",
                value: action.rule ? (
                  <>
                    <span className="font-medium">
                      #{action.rule.index + 1} {action.rule.name ?? ""}
                    </span>
                    {action.rule.condition && (
                      <pre className="mt-2 whitespace-pre-wrap break-all rounded bg-slate-50 p-2 font-mono text-xs text-slate-700 ring-1 ring-inset ring-slate-200">
                        {action.rule.condition}
                      </pre>
                    )}
                  </>
                ) : (
                  "—"
                ),
              },
              {
                label: "Policy version",
                testId: "detail-policy-version",
                value:
                  action.policy_version === null ? (
                    "— (the policy was not consulted)"
                  ) : (
                    <Link href={`/${slug}/policies?version=${action.policy_version}`} className="underline">
                      v{action.policy_version}
                    </Link>
                  ),
              },
            ]}
          />
        </Card>

        <Card title="Approval">
          {!action.approval ? (
            <p className="text-sm text-slate-600">This action did not need an approval.</p>
          ) : (
            <div className="space-y-4" data-testid="approval-state">
              <DetailList
                items={[
                  { label: "Status", value: <StatusBadge status={action.approval.status} /> },
                  {
                    label: "Approvals",
                    value: (
                      <span className="tabular-nums">
                        {action.approval.approvals} of {action.approval.required} required
                      </span>
                    ),
                  },
                  action.approval.status === "pending"
                    ? {
                        label: "Expires",
                        value: (
                          <>
                            {formatUtc(action.approval.expires_at)} (<Countdown iso={action.approval.expires_at} />)
                          </>
                        ),
                      }
                    : { label: "Closed", value: formatUtc(action.approval.decided_at ?? action.approval.expires_at) },
                ]}
              />
              {action.approval.decisions.length > 0 ? (
                <DecisionList decisions={action.approval.decisions} />
              ) : (
                <p className="text-sm text-slate-600">No one has decided yet.</p>
              )}
              {approval?.you_may_decide ? (
                <ActionDecision
                  org={slug}
                  approvalId={approval.id}
                  payloadHash={action.payload_hash}
                  subject={subject}
                />
              ) : approval && approval.status === "pending" && approval.you_created_key ? (
                <Alert tone="amber" role="note">
                  You created the API key this agent used, so another approver must decide (separation of duties).
                </Alert>
              ) : approval && approval.status === "pending" && approval.you_decided ? (
                <Alert tone="blue" role="note">
                  You have decided on this request; other approvers are still needed.
                </Alert>
              ) : null}
            </div>
          )}
        </Card>

        <Card title="Payload" className="lg:col-span-2">
          <div className="space-y-4">
            <div>
              <h3 className="text-xs font-semibold uppercase text-slate-500">
                Payload hash (SHA-256 of the original parameters and context)
              </h3>
              <code className="mt-1 block break-all font-mono text-xs text-slate-700" data-testid="payload-hash">
                {action.payload_hash}
              </code>
            </div>
            {action.payload_expired ? (
              <Alert tone="blue" role="note">
                The parameters were removed under the organization&apos;s retention policy; the hash remains.
              </Alert>
            ) : (
              <div className="grid gap-4 lg:grid-cols-2">
                <div>
                  <h3 className="mb-1 text-xs font-semibold uppercase text-slate-500">Parameters (redacted)</h3>
                  <JsonView value={action.params} pointer="/params" redacted={redacted} label="parameters" />
                </div>
                <div>
                  <h3 className="mb-1 text-xs font-semibold uppercase text-slate-500">Context (redacted)</h3>
                  {hasContext ? (
                    <JsonView value={action.context} pointer="/context" redacted={redacted} label="context" />
                  ) : (
                    <p className="text-sm text-slate-500">No context was sent.</p>
                  )}
                </div>
              </div>
            )}
            <RedactedPaths paths={action.redacted_paths} />
          </div>
        </Card>

        <Card title="Execution" className="lg:col-span-2">
          {action.status === "executed" || action.status === "failed" ? (
            <div className="space-y-3" data-testid="execution">
              <DetailList
                items={[
                  { label: "Outcome", value: <StatusBadge status={action.status} /> },
                  { label: "Executed", value: formatUtc(action.executed_at) },
                  ...(action.error
                    ? [{ label: "Error", value: <span className="text-red-700">{action.error}</span> }]
                    : []),
                ]}
              />
              {action.result !== null && action.result !== undefined && (
                <div>
                  <h3 className="mb-1 text-xs font-semibold uppercase text-slate-500">
                    Result (validated and redacted by Warden)
                  </h3>
                  <JsonView value={action.result} pointer="/result" redacted={new Set()} label="result" />
                </div>
              )}
            </div>
          ) : action.status === "executing" ? (
            <p className="text-sm text-slate-600">Warden is running this action on its connector now.</p>
          ) : FINAL_WITHOUT_EXECUTION[action.status] ? (
            <p className="text-sm text-slate-600">{FINAL_WITHOUT_EXECUTION[action.status]}</p>
          ) : action.status === "pending" ? (
            <p className="text-sm text-slate-600">Nothing runs until the approval is decided.</p>
          ) : (
            <p className="text-sm text-slate-600">
              The agent may go ahead. Warden records an execution only when it runs the action itself (managed
              connectors such as http_proxy).
            </p>
          )}
        </Card>
      </div>
    </>
  );
}
