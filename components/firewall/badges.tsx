import type { Effect, RiskLevel } from "@/lib/policy/schemas";
import { Badge } from "../ui";

type Tone = "slate" | "green" | "amber" | "red" | "blue" | "violet";

const STATUS_TONE: Record<string, Tone> = {
  allowed: "green",
  approved: "green",
  executed: "green",
  executing: "blue",
  pending: "amber",
  denied: "red",
  rejected: "red",
  failed: "red",
  expired: "slate",
  cancelled: "slate",
};

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={STATUS_TONE[status] ?? "slate"}>{status}</Badge>;
}

/** Typed by the risk levels and effects themselves: a new level does not compile until it has a tone. */
const RISK_TONE: Record<RiskLevel, Tone> = { low: "slate", medium: "amber", high: "red", critical: "violet" };

export function RiskBadge({ risk }: { risk: string }) {
  return <Badge tone={RISK_TONE[risk as RiskLevel] ?? "slate"}>{`${risk} risk`}</Badge>;
}

const EFFECT_TONE: Record<Effect, Tone> = { allow: "green", deny: "red", require_approval: "amber" };
const EFFECT_LABEL: Record<Effect, string> = { allow: "allow", deny: "deny", require_approval: "require approval" };

export function EffectBadge({ effect }: { effect: string }) {
  return <Badge tone={EFFECT_TONE[effect as Effect] ?? "slate"}>{EFFECT_LABEL[effect as Effect] ?? effect}</Badge>;
}
