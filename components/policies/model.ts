import {
  DEFAULT_RISK_LEVEL,
  type Effect,
  POLICY_LIMITS,
  RISK_LEVELS,
  type RiskLevel,
  type RuleInput,
} from "@/lib/policy/schemas";

/**
 * The editor's working copy of a rule. Numbers are kept as the text typed so
 * a half-typed value is never silently replaced; the API validates them.
 */
export type EditableRule = {
  key: string;
  name: string;
  condition: string;
  effect: Effect;
  risk_level: RiskLevel;
  reason: string;
  approvals_required: string;
  ttl_minutes: string;
};

export const EFFECT_OPTIONS = [
  { value: "allow", label: "Allow" },
  { value: "require_approval", label: "Require approval" },
  { value: "deny", label: "Deny" },
] as const;

export const RISK_OPTIONS = RISK_LEVELS;

/** What a new rule suggests for each effect: what the API fills in when none is given. */
export const SUGGESTED_RISK = DEFAULT_RISK_LEVEL;

/** The approval TTL the API applies when a rule names none, in the editor's unit (minutes). */
export const DEFAULT_TTL_MINUTES = String(POLICY_LIMITS.defaultApprovalTtlSeconds / 60);

let counter = 0;
export function newKey(): string {
  counter += 1;
  return `r${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export function toEditable(rule: RuleInput): EditableRule {
  return {
    key: newKey(),
    name: rule.name,
    condition: rule.condition,
    effect: rule.effect,
    risk_level: rule.risk_level ?? SUGGESTED_RISK[rule.effect],
    reason: rule.reason ?? "",
    approvals_required: rule.approvals_required != null ? String(rule.approvals_required) : "1",
    ttl_minutes: rule.approval_ttl_seconds != null ? String(rule.approval_ttl_seconds / 60) : DEFAULT_TTL_MINUTES,
  };
}

function num(s: string): number | null {
  const t = s.trim();
  return t === "" ? null : Number(t);
}

/** The API body for these rules. */
export function toRuleInputs(rules: EditableRule[]): RuleInput[] {
  return rules.map((r) => {
    const base: RuleInput = {
      name: r.name,
      condition: r.condition,
      effect: r.effect,
      risk_level: r.risk_level,
      reason: r.reason,
    };
    if (r.effect !== "require_approval") return base;
    const ttl = num(r.ttl_minutes);
    return {
      ...base,
      approvals_required: num(r.approvals_required),
      approval_ttl_seconds: ttl === null ? null : Math.round(ttl * 60),
    };
  });
}

export type RuleErrors = Partial<
  Record<
    "name" | "condition" | "effect" | "risk_level" | "reason" | "approvals_required" | "approval_ttl_seconds",
    string
  >
>;

/** The API's field errors by rule ("rules.3.condition" → rule 3's condition); the summary names the rest. */
export function errorsByRule(errors: { path: string; message: string }[]): Record<number, RuleErrors> {
  const byRule: Record<number, RuleErrors> = {};
  for (const e of errors) {
    const m = /^rules\.(\d+)(?:\.([a-z_]+))?/.exec(e.path);
    if (!m) continue;
    const i = Number(m[1]);
    const field = (m[2] ?? "name") as keyof RuleErrors;
    byRule[i] ??= {};
    byRule[i][field] ??= e.message;
  }
  return byRule;
}

/** "line 2, column 18: …" → its parts, for pointing at the spot in the condition. */
export function parsePosition(message: string): { line: number; column: number; text: string } | null {
  const m = /^line (\d+), column (\d+): ([\s\S]*)$/.exec(message);
  return m ? { line: Number(m[1]), column: Number(m[2]), text: m[3]! } : null;
}

/** The UTF-16 offset of a 1-based line and code-point column, for placing the cursor. */
export function offsetOf(source: string, line: number, column: number): number {
  const lines = source.split(/\r\n|\n|\r/);
  let offset = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) {
    offset += lines[i]!.length;
    offset += source.slice(offset, offset + 2) === "\r\n" ? 2 : 1;
  }
  const current = Array.from(lines[line - 1] ?? "");
  return offset + current.slice(0, Math.max(0, column - 1)).join("").length;
}
