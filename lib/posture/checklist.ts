/**
 * The security checklist: each item computed from the organization's real
 * state (gathered by compute-posture.ts), with its evidence and where to fix
 * it. Pure, so every rule here is unit-tested without a database.
 *
 * The score weighs items by the risk of getting them wrong (critical 10,
 * high 6, medium 3, low 1). An item earns its weight times its credit (0..1;
 * partial for shares, e.g. 7 of 10 keys with an expiry earn 0.7); items for
 * features this deployment does not have ("not available") are left out of
 * both sides, so the score is the share of the achievable weight earned.
 */

export const RISK_WEIGHT = { critical: 10, high: 6, medium: 3, low: 1 } as const;
export type ItemRisk = keyof typeof RISK_WEIGHT;
export type ItemStatus = "pass" | "warn" | "fail" | "not_available";

export type ChecklistItem = {
  id: string;
  group: "identity" | "api_keys" | "policy" | "agents" | "data" | "monitoring" | "audit" | "sessions";
  title: string;
  risk: ItemRisk;
  weight: number;
  status: ItemStatus;
  /** 0..1; null when not available. */
  credit: number | null;
  /** One line that says what was found. */
  summary: string;
  /** The facts behind the summary (names, counts, ids). */
  evidence: string[];
  /** Where to change it, relative to the organization (e.g. "/keys"); null when nothing in the product changes it. */
  fix: { label: string; path: string } | null;
};

export type PostureReport = {
  version: 1;
  organization: { id: string; slug: string; name: string };
  generated_at: string;
  score: number;
  /** Weight earned and achievable (items not available excluded). */
  points: { earned: number; possible: number };
  counts: { pass: number; warn: number; fail: number; not_available: number };
  items: ChecklistItem[];
};

export type KeyFacts = {
  id: string;
  name: string;
  last4: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  ipAllowlist: string[];
  /** member: the creator is a member in good standing; removed: no longer a member (or deleted); locked: locked by an alert response. */
  creator: "member" | "removed" | "locked";
};

export type PostureState = {
  org: {
    id: string;
    slug: string;
    name: string;
    mfaPolicy: string;
    mfaPasskeysOnly: boolean;
    mfaGraceUntil: Date | null;
    sessionIdleTimeoutSeconds: number;
    sessionAbsoluteTimeoutSeconds: number;
    sensitiveKeys: string[];
    httpAllowedDomains: string[];
    httpAllowedPrivateCidrs: string[];
    payloadRetentionDays: number | null;
  };
  members: { userId: string; role: string; totp: boolean; passkeys: number; recoveryCodesLeft: number }[];
  sso: { connections: number; enabled: { name: string; protocol: string } | null; enforced: boolean };
  /** Keys not revoked and not past their expiry. */
  keys: KeyFacts[];
  /** The active policy version, with the rules whose condition holds for every action. */
  policy: { version: number; rules: number; allowEverything: { index: number; name: string }[] } | null;
  agents: { slug: string; name: string; disabled: boolean; productionAllowed: string[] }[];
  alertRules: { name: string; template: string | null; mode: string; actions: string[] }[];
  audit: {
    size: number;
    latestCheckpoint: { createdAt: Date; treeSize: number } | null;
    /** null when the caller may not verify the chain (no audit:read). */
    verification: {
      chainOk: boolean;
      firstBadSeq: number | null;
      reason: string | null;
      checkpointsTotal: number;
      checkpointsVerified: number;
    } | null;
  };
  /** Session limits per member; null while the deployment has no such setting. */
  maxSessionsPerMember: number | null | undefined;
};

const DAY_MS = 86_400_000;
export const KEY_ROTATION_DAYS = 90;
export const KEY_UNUSED_DAYS = 30;
export const CHECKPOINT_MAX_AGE_HOURS = 24;
export const RECOMMENDED_IDLE_SECONDS = 30 * 60;
export const RECOMMENDED_ABSOLUTE_SECONDS = 12 * 60 * 60;

/**
 * Tool names that say shell, code execution, file system or unrestricted
 * network access. Tools are names in a registry (Warden cannot see what a
 * tool does), so the name is the evidence; the managed http_proxy connector is
 * not "unrestricted": it calls only the organization's domain allowlist.
 */
const DANGEROUS_TOKENS: Record<string, string> = {
  shell: "shell",
  bash: "shell",
  sh: "shell",
  zsh: "shell",
  powershell: "shell",
  cmd: "shell",
  terminal: "shell",
  subprocess: "shell",
  command: "shell",
  exec: "code execution",
  execute: "code execution",
  eval: "code execution",
  code: "code execution",
  python: "code execution",
  interpreter: "code execution",
  repl: "code execution",
  script: "code execution",
  jupyter: "code execution",
  fs: "file system",
  file: "file system",
  files: "file system",
  filesystem: "file system",
  disk: "file system",
  http: "unrestricted network",
  https: "unrestricted network",
  fetch: "unrestricted network",
  curl: "unrestricted network",
  wget: "unrestricted network",
  network: "unrestricted network",
  socket: "unrestricted network",
  browser: "unrestricted network",
};

/** Why a tool name looks dangerous, or null. */
export function dangerousToolCategory(tool: string): string | null {
  if (tool === "http_proxy") return null;
  for (const token of tool.split(/[._-]+/)) {
    const category = DANGEROUS_TOKENS[token];
    if (category) return category;
  }
  return null;
}

/** The recommended alert set: each entry is covered by an active rule from one of these templates, or watching one of these events. */
export const RECOMMENDED_ALERTS: readonly { label: string; templates: string[]; events: string[] }[] = [
  { label: "failed sign-ins", templates: ["failed_sign_ins"], events: ["auth.sign_in_failed"] },
  { label: "key abuse", templates: ["key_rate_limited"], events: ["api_key.rate_limited"] },
  { label: "large exports", templates: ["large_export"], events: ["audit.export_requested", "audit.exported"] },
  { label: "new IP", templates: ["new_sign_in_address", "key_new_address"], events: ["api_key.new_address"] },
  { label: "repeated denials", templates: ["agent_denied"], events: [] },
  { label: "approval timeouts", templates: ["approval_half_expiry", "approval_waiting"], events: ["approval.expired"] },
];

function watches(ruleActions: string[], event: string): boolean {
  return ruleActions.some((a) => a === event || (a.endsWith(".*") && event.startsWith(a.slice(0, -1))));
}

function pct(n: number, d: number): string {
  return d === 0 ? "0%" : `${Math.round((100 * n) / d)}%`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function keyLabel(k: KeyFacts): string {
  return `${k.name} (…${k.last4})`;
}

type Draft = Omit<ChecklistItem, "weight" | "credit" | "status"> & { status: ItemStatus; credit?: number };

function item(d: Draft): ChecklistItem {
  const credit =
    d.status === "not_available" ? null : (d.credit ?? (d.status === "pass" ? 1 : d.status === "warn" ? 0.5 : 0));
  return { ...d, weight: RISK_WEIGHT[d.risk], credit: credit === null ? null : Math.max(0, Math.min(1, credit)) };
}

/** A share-based item: all pass, none fail, in between warn with partial credit. */
function shareStatus(bad: number, total: number): { status: ItemStatus; credit: number } {
  if (total === 0 || bad === 0) return { status: "pass", credit: 1 };
  if (bad === total) return { status: "fail", credit: 0 };
  return { status: "warn", credit: 1 - bad / total };
}

function keyItems(state: PostureState, now: Date): ChecklistItem[] {
  const keys = state.keys;
  const total = keys.length;
  const fix = { label: "API keys", path: "/keys" };
  const none = total === 0;
  const listed = (ks: KeyFacts[]) => ks.slice(0, 20).map(keyLabel);

  const noExpiry = keys.filter((k) => k.expiresAt === null);
  const noAllowlist = keys.filter((k) => k.ipAllowlist.length === 0);
  const old = keys.filter((k) => now.getTime() - k.createdAt.getTime() > KEY_ROTATION_DAYS * DAY_MS);
  const unused = keys.filter((k) => now.getTime() - (k.lastUsedAt ?? k.createdAt).getTime() > KEY_UNUSED_DAYS * DAY_MS);
  const orphaned = keys.filter((k) => k.creator !== "member");

  return [
    item({
      id: "keys_expiry",
      group: "api_keys",
      title: "API keys expire",
      risk: "high",
      ...shareStatus(noExpiry.length, total),
      summary: none
        ? "No active API keys"
        : `${plural(noExpiry.length, "active key")} of ${total} never expire${noExpiry.length === 1 ? "s" : ""}`,
      evidence: listed(noExpiry),
      fix,
    }),
    item({
      id: "keys_ip_allowlist",
      group: "api_keys",
      title: "API keys are limited to known addresses",
      risk: "medium",
      ...shareStatus(noAllowlist.length, total),
      summary: none
        ? "No active API keys"
        : `${plural(noAllowlist.length, "active key")} of ${total} without an IP allowlist`,
      evidence: listed(noAllowlist),
      fix,
    }),
    item({
      id: "keys_rotation",
      group: "api_keys",
      title: `API keys rotated within ${KEY_ROTATION_DAYS} days`,
      risk: "medium",
      ...shareStatus(old.length, total),
      summary: none
        ? "No active API keys"
        : `${plural(old.length, "active key")} of ${total} older than ${KEY_ROTATION_DAYS} days`,
      evidence: listed(old),
      fix,
    }),
    item({
      id: "keys_unused",
      group: "api_keys",
      title: `No API keys unused for ${KEY_UNUSED_DAYS} days`,
      risk: "low",
      ...shareStatus(unused.length, total),
      summary: none
        ? "No active API keys"
        : `${plural(unused.length, "active key")} of ${total} unused for ${KEY_UNUSED_DAYS} days or more`,
      evidence: listed(unused),
      fix,
    }),
    item({
      id: "keys_orphaned",
      group: "api_keys",
      title: "No API keys held by removed or locked members",
      risk: "critical",
      status: orphaned.length === 0 ? "pass" : "fail",
      summary:
        orphaned.length === 0
          ? none
            ? "No active API keys"
            : `All ${plural(total, "active key")} act for current members in good standing`
          : `${plural(orphaned.length, "active key")} act${orphaned.length === 1 ? "s" : ""} for a removed or locked member`,
      evidence: orphaned.slice(0, 20).map((k) => `${keyLabel(k)}: creator ${k.creator}`),
      fix,
    }),
  ];
}

/** Builds the report from the gathered state. `now` is passed in so the result is reproducible. */
export function buildChecklist(state: PostureState, now: Date): PostureReport {
  const o = state.org;
  const items: ChecklistItem[] = [];

  // Identity: MFA policy and enrolment, SSO.
  const mfaEvidence = [
    `policy: ${o.mfaPolicy}`,
    ...(o.mfaPasskeysOnly ? ["passkeys only"] : []),
    ...(o.mfaGraceUntil && o.mfaGraceUntil > now ? [`grace period until ${o.mfaGraceUntil.toISOString()}`] : []),
  ];
  items.push(
    item({
      id: "mfa_required",
      group: "identity",
      title: "MFA required for every member",
      risk: "critical",
      status: o.mfaPolicy === "everyone" ? "pass" : o.mfaPolicy === "privileged" ? "warn" : "fail",
      credit: o.mfaPolicy === "everyone" ? 1 : o.mfaPolicy === "privileged" ? 0.6 : 0,
      summary:
        o.mfaPolicy === "everyone"
          ? "Every member must use a second factor"
          : o.mfaPolicy === "privileged"
            ? "Only privileged roles must use a second factor"
            : "No member is required to use a second factor",
      evidence: mfaEvidence,
      fix: null,
    }),
  );
  const total = state.members.length;
  const withTotp = state.members.filter((m) => m.totp).length;
  const withPasskey = state.members.filter((m) => m.passkeys > 0).length;
  const withRecovery = state.members.filter((m) => m.recoveryCodesLeft > 0).length;
  const enrolled = state.members.filter((m) => m.totp || m.passkeys > 0).length;
  items.push(
    item({
      id: "mfa_enrolled",
      group: "identity",
      title: "Members enrolled in MFA",
      risk: "high",
      ...shareStatus(total - enrolled, total),
      summary: `${enrolled} of ${plural(total, "member")} (${pct(enrolled, total)}) have a second factor`,
      evidence: [
        `TOTP: ${withTotp} (${pct(withTotp, total)})`,
        `passkey: ${withPasskey} (${pct(withPasskey, total)})`,
        `recovery codes left: ${withRecovery} (${pct(withRecovery, total)})`,
      ],
      fix: { label: "Members", path: "/members" },
    }),
  );
  items.push(
    item({
      id: "sso_configured",
      group: "identity",
      title: "Single sign-on configured",
      risk: "medium",
      status: state.sso.enabled ? "pass" : "fail",
      summary: state.sso.enabled
        ? `Enabled: ${state.sso.enabled.name} (${state.sso.enabled.protocol.toUpperCase()})`
        : state.sso.connections > 0
          ? `${plural(state.sso.connections, "connection")}, none enabled`
          : "No SSO connection",
      evidence: [],
      fix: { label: "Single sign-on", path: "/settings/sso" },
    }),
  );
  items.push(
    item({
      id: "sso_enforced",
      group: "identity",
      title: "Single sign-on enforced (SSO-only)",
      risk: "medium",
      status: state.sso.enforced ? "pass" : "fail",
      summary: state.sso.enforced
        ? "Members sign in to this organization through SSO only"
        : state.sso.enabled
          ? "Members may still sign in with a password or passkey"
          : "No enabled SSO connection to enforce",
      evidence: [],
      fix: { label: "Single sign-on", path: "/settings/sso" },
    }),
  );

  items.push(...keyItems(state, now));

  // Policy.
  const policy = state.policy;
  items.push(
    item({
      id: "policy_default_deny",
      group: "policy",
      title: "Active policy denies by default",
      risk: "critical",
      status: policy === null ? "warn" : policy.allowEverything.length === 0 ? "pass" : "fail",
      credit: policy === null ? 1 : undefined,
      summary:
        policy === null
          ? "No policy is published: every action is denied"
          : policy.allowEverything.length === 0
            ? `Version ${policy.version}: unmatched actions are denied and no rule allows everything`
            : `Version ${policy.version}: ${plural(policy.allowEverything.length, "rule")} allow${policy.allowEverything.length === 1 ? "s" : ""} every action`,
      evidence: policy?.allowEverything.map((r) => `rule ${r.index + 1} "${r.name}" is always true`) ?? [],
      fix: { label: "Policies", path: "/policies" },
    }),
  );

  // Agents.
  const risky = state.agents
    .filter((a) => !a.disabled)
    .map((a) => ({
      a,
      tools: a.productionAllowed
        .map((t) => ({ t, c: dangerousToolCategory(t) }))
        .filter((x): x is { t: string; c: string } => x.c !== null),
    }))
    .filter((x) => x.tools.length > 0);
  items.push(
    item({
      id: "agents_dangerous_tools",
      group: "agents",
      title: "No agent may use dangerous tools in production without approval",
      risk: "high",
      status: risky.length === 0 ? "pass" : "fail",
      summary:
        risky.length === 0
          ? "No enabled agent's production registry allows a shell, code, file-system or network tool"
          : `${plural(risky.length, "agent")} allow${risky.length === 1 ? "s" : ""} dangerous tools in production`,
      evidence: risky.slice(0, 20).map((x) => `${x.a.slug}: ${x.tools.map((t) => `${t.t} (${t.c})`).join(", ")}`),
      fix: { label: "Agents", path: risky.length === 1 ? `/agents/${risky[0]!.a.slug}` : "/agents" },
    }),
  );

  // Data: outbound allowlist, redaction, retention.
  const wildcards = o.httpAllowedDomains.filter((d) => d.startsWith("*."));
  items.push(
    item({
      id: "http_allowlist",
      group: "data",
      title: "HTTP connector limited to a domain allowlist",
      risk: "high",
      status: o.httpAllowedPrivateCidrs.length > 0 || wildcards.length > 0 ? "warn" : "pass",
      credit: o.httpAllowedPrivateCidrs.length > 0 ? 0.5 : wildcards.length > 0 ? 0.8 : 1,
      summary:
        o.httpAllowedDomains.length === 0
          ? "The allowlist is empty: the http connector calls nothing"
          : `${plural(o.httpAllowedDomains.length, "allowed domain")}${wildcards.length > 0 ? `, ${wildcards.length} with a wildcard` : ""}${o.httpAllowedPrivateCidrs.length > 0 ? `; ${plural(o.httpAllowedPrivateCidrs.length, "private range")} opened` : ""}`,
      evidence: [...o.httpAllowedDomains.slice(0, 20), ...o.httpAllowedPrivateCidrs.map((c) => `private range ${c}`)],
      fix: { label: "Settings", path: "/settings" },
    }),
  );
  items.push(
    item({
      id: "redaction",
      group: "data",
      title: "Sensitive-field redaction configured",
      risk: "medium",
      status: o.sensitiveKeys.length > 0 ? "pass" : "warn",
      summary:
        o.sensitiveKeys.length > 0
          ? `Built-in names plus ${plural(o.sensitiveKeys.length, "organization field")}`
          : "Only the built-in names (password, token, …) are redacted; none of the organization's own",
      evidence: o.sensitiveKeys.slice(0, 20),
      fix: { label: "Settings", path: "/settings" },
    }),
  );
  items.push(
    item({
      id: "payload_retention",
      group: "data",
      title: "Payload retention configured",
      risk: "medium",
      status: o.payloadRetentionDays === null ? "fail" : "pass",
      summary:
        o.payloadRetentionDays === null
          ? "Action parameters and results are kept forever"
          : `Action parameters and results are deleted after ${plural(o.payloadRetentionDays, "day")}`,
      evidence: [],
      fix: { label: "Settings", path: "/settings" },
    }),
  );
  items.push(
    item({
      id: "audit_retention",
      group: "data",
      title: "Audit retention configured",
      risk: "low",
      status: "not_available",
      summary: "Not available: the audit trail is kept in full (no retention period for events yet)",
      evidence: [],
      fix: null,
    }),
  );

  // Monitoring: the recommended alert set.
  const active = state.alertRules.filter((r) => r.mode === "active");
  const coverage = RECOMMENDED_ALERTS.map((rec) => {
    const rule = active.find(
      (r) =>
        (r.template !== null && rec.templates.includes(r.template)) || rec.events.some((e) => watches(r.actions, e)),
    );
    return { rec, rule };
  });
  const covered = coverage.filter((c) => c.rule).length;
  items.push(
    item({
      id: "alerts_recommended",
      group: "monitoring",
      title: "Recommended alert rules enabled",
      risk: "high",
      ...shareStatus(RECOMMENDED_ALERTS.length - covered, RECOMMENDED_ALERTS.length),
      summary: `${covered} of ${RECOMMENDED_ALERTS.length} recommended alerts have an active rule`,
      evidence: coverage.map((c) => `${c.rec.label}: ${c.rule ? `"${c.rule.name}"` : "missing"}`),
      fix: { label: "Alerts", path: "/alerts" },
    }),
  );

  // Audit: checkpoint age and the chain's verification.
  const cp = state.audit.latestCheckpoint;
  const ageHours = cp ? (now.getTime() - cp.createdAt.getTime()) / 3_600_000 : null;
  const behind = cp ? state.audit.size - cp.treeSize : state.audit.size;
  const fresh =
    state.audit.size === 0 || (cp !== null && (behind === 0 || (ageHours ?? 0) <= CHECKPOINT_MAX_AGE_HOURS));
  items.push(
    item({
      id: "checkpoint_fresh",
      group: "audit",
      title: `Audit log checkpointed within ${CHECKPOINT_MAX_AGE_HOURS} hours`,
      risk: "medium",
      status: fresh ? "pass" : "fail",
      summary:
        cp === null
          ? state.audit.size === 0
            ? "The audit log is empty"
            : `No signed checkpoint yet for ${plural(state.audit.size, "event")}`
          : `Last checkpoint ${ageHours! < 1 ? "under an hour" : plural(Math.floor(ageHours!), "hour")} ago at ${cp.treeSize} events; ${behind} since`,
      evidence: cp ? [`checkpoint at ${cp.createdAt.toISOString()}, size ${cp.treeSize}`] : [],
      fix: { label: "Audit", path: "/audit" },
    }),
  );
  const v = state.audit.verification;
  items.push(
    item({
      id: "chain_verified",
      group: "audit",
      title: "Audit chain and checkpoints verify",
      risk: "critical",
      status:
        v === null ? "not_available" : v.chainOk && v.checkpointsVerified === v.checkpointsTotal ? "pass" : "fail",
      summary:
        v === null
          ? "Not available: verifying the chain needs the audit:read permission"
          : !v.chainOk
            ? `The chain breaks at #${v.firstBadSeq}: ${v.reason}`
            : v.checkpointsVerified !== v.checkpointsTotal
              ? `${v.checkpointsTotal - v.checkpointsVerified} of ${plural(v.checkpointsTotal, "checkpoint")} fail verification`
              : `${plural(state.audit.size, "event")} and ${plural(v.checkpointsTotal, "checkpoint")} verified`,
      evidence: [],
      fix: { label: "Audit", path: "/audit" },
    }),
  );

  // Sessions.
  const idleOk = o.sessionIdleTimeoutSeconds <= RECOMMENDED_IDLE_SECONDS;
  const absOk = o.sessionAbsoluteTimeoutSeconds <= RECOMMENDED_ABSOLUTE_SECONDS;
  items.push(
    item({
      id: "session_timeouts",
      group: "sessions",
      title: "Session timeouts within the recommended limits",
      risk: "medium",
      status: idleOk && absOk ? "pass" : idleOk || absOk ? "warn" : "fail",
      summary: `Idle ${Math.round(o.sessionIdleTimeoutSeconds / 60)} min (recommended ≤ ${RECOMMENDED_IDLE_SECONDS / 60}), absolute ${Math.round(o.sessionAbsoluteTimeoutSeconds / 3600)} h (recommended ≤ ${RECOMMENDED_ABSOLUTE_SECONDS / 3600})`,
      evidence: [],
      fix: { label: "Settings", path: "/settings" },
    }),
  );
  const limit = state.maxSessionsPerMember;
  items.push(
    item({
      id: "session_limit",
      group: "sessions",
      title: "Concurrent sessions per member limited",
      risk: "low",
      status: limit === undefined ? "not_available" : limit === null ? "fail" : "pass",
      summary:
        limit === undefined
          ? "Not available: this deployment has no per-member session limit yet"
          : limit === null
            ? "A member may hold any number of sessions"
            : `At most ${plural(limit, "session")} per member; the oldest is ended`,
      evidence: [],
      fix: limit === undefined ? null : { label: "Settings", path: "/settings" },
    }),
  );

  let earned = 0;
  let possible = 0;
  const counts = { pass: 0, warn: 0, fail: 0, not_available: 0 };
  for (const i of items) {
    counts[i.status]++;
    if (i.credit === null) continue;
    earned += i.weight * i.credit;
    possible += i.weight;
  }
  return {
    version: 1,
    organization: { id: o.id, slug: o.slug, name: o.name },
    generated_at: now.toISOString(),
    score: possible === 0 ? 0 : Math.floor((100 * earned) / possible),
    points: { earned: Math.round(earned * 10) / 10, possible },
    counts,
    items,
  };
}
