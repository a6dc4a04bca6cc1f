import Link from "next/link";
import type { ChecklistItem, ItemStatus, PostureReport } from "@/lib/posture/checklist";
import { Badge, Card } from "../ui";

const STATUS: Record<ItemStatus, { label: string; tone: "green" | "amber" | "red" | "slate" }> = {
  pass: { label: "Pass", tone: "green" },
  warn: { label: "Partly", tone: "amber" },
  fail: { label: "Fail", tone: "red" },
  not_available: { label: "Not available", tone: "slate" },
};

const GROUPS: { id: ChecklistItem["group"]; label: string }[] = [
  { id: "identity", label: "Identity: MFA and single sign-on" },
  { id: "api_keys", label: "API keys" },
  { id: "policy", label: "Policy" },
  { id: "agents", label: "Agents" },
  { id: "data", label: "Data: outbound calls, redaction, retention" },
  { id: "monitoring", label: "Monitoring" },
  { id: "audit", label: "Audit trail" },
  { id: "sessions", label: "Sessions" },
];

export function StatusBadge({ status }: { status: ItemStatus }) {
  return <Badge tone={STATUS[status].tone}>{STATUS[status].label}</Badge>;
}

export function scoreTone(score: number): "green" | "amber" | "red" {
  return score >= 80 ? "green" : score >= 50 ? "amber" : "red";
}

/** The checklist, grouped; `fixLinks` off for the printable report. */
export function Checklist({
  report,
  org,
  fixLinks = true,
}: {
  report: PostureReport;
  org: string;
  fixLinks?: boolean;
}) {
  return (
    <div className="space-y-6">
      {GROUPS.map((g) => {
        const items = report.items.filter((i) => i.group === g.id);
        if (items.length === 0) return null;
        return (
          <Card key={g.id} title={g.label} className="break-inside-avoid">
            <ul className="divide-y divide-slate-100">
              {items.map((i) => (
                <li
                  key={i.id}
                  className="py-3 first:pt-0 last:pb-0"
                  data-testid={`check-${i.id}`}
                  data-status={i.status}
                >
                  <div className="flex flex-wrap items-start justify-between gap-2">
                    <div className="min-w-0">
                      <p className="text-sm font-medium text-slate-900">{i.title}</p>
                      <p className="text-sm text-slate-600" data-testid={`check-${i.id}-summary`}>
                        {i.summary}
                      </p>
                    </div>
                    <div className="flex items-center gap-2">
                      <span className="text-xs text-slate-500">
                        {i.risk} · weight {i.weight}
                        {i.credit !== null && i.credit < 1 && i.credit > 0 ? ` · ${Math.round(i.credit * 100)}%` : ""}
                      </span>
                      <StatusBadge status={i.status} />
                    </div>
                  </div>
                  {i.evidence.length > 0 && (
                    <ul className="mt-1 list-disc pl-5 text-xs break-words text-slate-600">
                      {i.evidence.map((e, n) => (
                        <li key={n}>{e}</li>
                      ))}
                    </ul>
                  )}
                  {fixLinks && i.fix && i.status !== "pass" && (
                    <Link
                      href={`/${org}${i.fix.path}`}
                      className="mt-1 inline-block text-xs font-medium text-slate-900 underline underline-offset-2"
                    >
                      Fix in {i.fix.label}
                    </Link>
                  )}
                </li>
              ))}
            </ul>
          </Card>
        );
      })}
    </div>
  );
}
