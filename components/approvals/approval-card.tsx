"use client";

import Link from "next/link";
import type { ApprovalQueueItem } from "@/lib/approvals/list-approvals";
import { EffectBadge, RiskBadge, StatusBadge } from "../firewall/badges";
import { JsonView, RedactedPaths } from "../firewall/json-view";
import { DecisionList } from "../firewall/decision-list";
import { Ago, Countdown } from "../time";
import { Alert, Badge, cx, formatUtc } from "../ui";
import { DecisionForm } from "./decision-form";

/** One approval request as an approver reviews it. */
export function ApprovalCard({
  org,
  item,
  isNew,
  onDecided,
}: {
  org: string;
  item: ApprovalQueueItem;
  isNew: boolean;
  onDecided: (message: string) => void;
}) {
  const a = item.action;
  const subject = `${a.tool}.${a.operation} by ${a.agent.slug ?? "unknown agent"}`;
  const redacted = new Set(a.redacted_paths);
  const pending = item.status === "pending";
  const hasContext = a.context !== null && typeof a.context === "object" && Object.keys(a.context as object).length > 0;
  return (
    <article
      aria-label={`Approval request: ${subject}`}
      data-testid={`approval-${a.id}`}
      className={cx(
        "rounded-lg border bg-white shadow-sm",
        isNew ? "border-sky-300 ring-2 ring-sky-100" : "border-slate-200",
      )}
    >
      <header className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 px-5 py-3">
        <div className="flex flex-wrap items-center gap-2">
          <RiskBadge risk={a.risk_level} />
          {isNew && <Badge tone="blue">New</Badge>}
          <span className="font-mono text-sm font-semibold text-slate-900">
            {a.tool}.{a.operation}
          </span>
          <span className="text-sm text-slate-600">
            by agent <span className="font-medium text-slate-900">{a.agent.slug ?? "—"}</span>
          </span>
        </div>
        <div className="flex flex-wrap items-center gap-3 text-xs text-slate-600">
          <span>
            requested <Ago iso={item.created_at} />
          </span>
          {pending ? (
            <span className="font-medium text-amber-800">
              <Countdown iso={item.expires_at} />
            </span>
          ) : (
            <StatusBadge status={item.status} />
          )}
          <span className="tabular-nums" data-testid="approval-count">
            {item.approvals} / {item.required} approvals
          </span>
        </div>
      </header>
      <div className="grid gap-5 p-5 lg:grid-cols-5">
        <div className="space-y-3 lg:col-span-3">
          <p className="text-sm text-slate-700">
            <EffectBadge effect={a.decision} /> <span className="ml-1">{a.reason}</span>
          </p>
          <p className="text-xs text-slate-500">
            {a.rule ? (
              <>
                Rule {a.rule.index + 1} “{a.rule.name}” of policy v{a.policy_version ?? "?"}
              </>
            ) : (
              <>Decided by the agent&apos;s tool registry</>
            )}
          </p>
          <div>
            <h3 className="mb-1 text-xs font-semibold uppercase text-slate-500">Parameters</h3>
            {a.payload_expired ? (
              <p className="text-sm text-slate-500">The payload was removed by the retention policy.</p>
            ) : (
              <JsonView value={a.params} pointer="/params" redacted={redacted} label="parameters" />
            )}
          </div>
          {hasContext && (
            <div>
              <h3 className="mb-1 text-xs font-semibold uppercase text-slate-500">Context</h3>
              <JsonView value={a.context} pointer="/context" redacted={redacted} label="context" />
            </div>
          )}
          <RedactedPaths paths={a.redacted_paths} />
        </div>
        <div className="space-y-4 lg:col-span-2">
          <div>
            <h3 className="text-xs font-semibold uppercase text-slate-500">Payload hash (SHA-256)</h3>
            <code className="mt-1 block break-all font-mono text-xs text-slate-700" data-testid="payload-hash">
              {a.payload_hash}
            </code>
            <p className="mt-1 text-xs text-slate-500">Your decision is bound to this exact payload.</p>
          </div>
          {item.action.approval && item.action.approval.decisions.length > 0 && (
            <DecisionList decisions={item.action.approval.decisions} />
          )}
          {item.you_may_decide ? (
            <DecisionForm
              org={org}
              approvalId={item.id}
              payloadHash={a.payload_hash}
              subject={subject}
              onDecided={onDecided}
            />
          ) : pending && item.you_created_key ? (
            <Alert tone="amber" role="note">
              You created the API key this agent used, so another approver must decide (separation of duties).
            </Alert>
          ) : pending && item.you_decided ? (
            <Alert tone="blue" role="note">
              You have decided on this request. Waiting for {item.required - item.approvals} more approval
              {item.required - item.approvals === 1 ? "" : "s"}.
            </Alert>
          ) : !pending && item.action.approval?.decided_at ? (
            <p className="text-xs text-slate-500">Closed {formatUtc(item.action.approval.decided_at)}</p>
          ) : null}
          <Link href={`/${org}/actions/${a.id}`} className="inline-block text-sm font-medium text-slate-900 underline">
            Open the action
          </Link>
        </div>
      </div>
    </article>
  );
}
