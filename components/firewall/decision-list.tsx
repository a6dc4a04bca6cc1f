import type { ApprovalDecisionView } from "@/lib/actions/view";
import { Badge, formatUtc } from "../ui";

/** Who decided what, when, why, and whether they had used MFA in that session. */
export function DecisionList({ decisions }: { decisions: ApprovalDecisionView[] }) {
  return (
    <ol className="space-y-2" aria-label="Decisions" data-testid="approval-decisions">
      {decisions.map((d) => (
        <li key={`${d.approver_id}-${d.decided_at}`} className="rounded-md border border-slate-200 p-3 text-sm">
          <div className="flex flex-wrap items-center gap-2">
            <Badge tone={d.decision === "approved" ? "green" : "red"}>{d.decision}</Badge>
            <span className="font-medium text-slate-900">
              {d.approver_email ?? `user ${d.approver_id.slice(0, 8)}`}
            </span>
            <Badge tone={d.mfa ? "green" : "slate"}>{d.mfa ? "with MFA" : "no MFA"}</Badge>
            <time dateTime={d.decided_at} className="text-xs text-slate-500">
              {formatUtc(d.decided_at)}
            </time>
          </div>
          <p className="mt-1 whitespace-pre-wrap text-slate-700">“{d.reason}”</p>
        </li>
      ))}
    </ol>
  );
}
