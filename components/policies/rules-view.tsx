import type { PolicyRule } from "@/lib/policy/schemas";
import { EffectBadge, RiskBadge } from "../firewall/badges";

/** A version's rules, read-only, in evaluation order. */
export function RulesView({ rules }: { rules: PolicyRule[] }) {
  return (
    <ol className="space-y-3" aria-label="Rules" data-testid="policy-rules">
      {rules.map((r, i) => (
        <li key={`${i}-${r.name}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <div className="flex flex-wrap items-center gap-2">
            <span
              className="flex h-6 w-6 items-center justify-center rounded-full bg-slate-900 text-xs font-semibold text-white"
              aria-hidden="true"
            >
              {i + 1}
            </span>
            <span className="font-medium text-slate-900">{r.name}</span>
            <EffectBadge effect={r.effect} />
            <RiskBadge risk={r.risk_level} />
            {r.effect === "require_approval" && (
              <span className="text-xs text-slate-600">
                {r.approvals_required} approval{r.approvals_required === 1 ? "" : "s"} · expires after{" "}
                {Math.round((r.approval_ttl_seconds ?? 0) / 60)} min
              </span>
            )}
          </div>
          <pre className="mt-2 overflow-x-auto rounded-md bg-slate-50 p-3 font-mono text-xs leading-5 text-slate-800 ring-1 ring-inset ring-slate-200">
            {r.condition}
          </pre>
          {r.reason && <p className="mt-2 text-sm text-slate-600">{r.reason}</p>}
        </li>
      ))}
    </ol>
  );
}
