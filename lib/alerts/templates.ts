import type { RuleSpec } from "./schemas";

/**
 * Built-in rules: one click creates a rule from one of these (in the mode the
 * person chooses), and it is then edited like any other.
 */
export type AlertTemplate = {
  id: string;
  name: string;
  description: string;
  spec: Omit<RuleSpec, "description"> & { description: string };
};

export const ALERT_TEMPLATES: readonly AlertTemplate[] = [
  {
    id: "failed_sign_ins",
    name: "Repeated failed sign-ins",
    description: "5 failed sign-ins for one account within 10 minutes: lock it for 30 minutes and notify admins.",
    spec: {
      description: "Enforced at once, on the sign-in itself: an attacker gains nothing from evaluation lag.",
      actions: ["auth.sign_in_failed"],
      condition: 'actor.type == "user"',
      group_by: ["actor.id"],
      aggregation: { kind: "count", threshold: 5, window_seconds: 600 },
      responses: [
        { type: "lock_user", subject: "actor", duration_seconds: 1800 },
        { type: "notify", recipients: ["admins"], channels: [] },
      ],
      severity: "critical",
      cooldown_seconds: 600,
      max_responses_per_hour: 20,
    },
  },
  {
    id: "key_new_address",
    name: "API key used from a new address",
    description: "An API key used from an address never seen for it: notify its creator and the admins.",
    spec: {
      description: "Add a suspend_key response to suspend the key until an admin reinstates it.",
      actions: ["api_key.new_address"],
      condition: "true",
      group_by: ["target.id"],
      aggregation: { kind: "each" },
      responses: [{ type: "notify", recipients: ["admins", "key_creator"], channels: [] }],
      severity: "warning",
      cooldown_seconds: 0,
      max_responses_per_hour: 20,
    },
  },
  {
    id: "key_rate_limited",
    name: "API key hitting its rate limit",
    description: "A key hitting its rate limit 3 times in 5 minutes: throttle it for 15 minutes and notify.",
    spec: {
      description: "Each minute in which the key is refused counts once.",
      actions: ["api_key.rate_limited"],
      condition: "true",
      group_by: ["target.id"],
      aggregation: { kind: "count", threshold: 3, window_seconds: 300 },
      responses: [
        { type: "throttle_key", subject: "target", per_minute: 10, duration_seconds: 900 },
        { type: "notify", recipients: ["admins", "key_creator"], channels: [] },
      ],
      severity: "warning",
      cooldown_seconds: 900,
      max_responses_per_hour: 20,
    },
  },
  {
    id: "large_export",
    name: "Large audit export",
    description:
      "An audit export larger than 1 GB waits for an approval in the approval queue before it runs; the admins are notified.",
    spec: {
      description:
        "Enforced on the request itself. Change the size in the condition (bytes, as estimated before the export runs).",
      actions: ["audit.export_requested"],
      condition: "data.estimated_bytes > 1073741824.0",
      group_by: [],
      aggregation: { kind: "each" },
      responses: [
        { type: "require_approval", expires_in_seconds: 86_400 },
        { type: "notify", recipients: ["admins"], channels: [] },
      ],
      severity: "warning",
      cooldown_seconds: 0,
      max_responses_per_hour: 100,
    },
  },
  {
    id: "agent_denied",
    name: "Agent denied repeatedly",
    description: "An agent denied 10 times within 10 minutes: disable the agent and notify.",
    spec: {
      description: "A misbehaving or compromised agent stops at once; an admin re-enables it.",
      actions: ["action.decided"],
      condition: 'data.effect == "deny"',
      group_by: ["data.agent_id"],
      aggregation: { kind: "count", threshold: 10, window_seconds: 600 },
      responses: [
        { type: "disable_agent", subject: "data.agent_id" },
        { type: "notify", recipients: ["admins"], channels: [] },
      ],
      severity: "critical",
      cooldown_seconds: 600,
      max_responses_per_hour: 20,
    },
  },
  {
    id: "approval_waiting",
    name: "High-risk approval waiting",
    description: "A high-risk approval still pending after 15 minutes: notify the admins.",
    spec: {
      description: "Any decision, expiry or cancellation of the action is the follow-up.",
      actions: ["approval.requested", "action.approved", "action.rejected", "action.expired", "action.cancelled"],
      condition: 'action == "approval.requested" && has(data.risk_level) && data.risk_level in ["high", "critical"]',
      group_by: ["target.id"],
      aggregation: {
        kind: "absence",
        follow_up: 'action in ["action.approved", "action.rejected", "action.expired", "action.cancelled"]',
        within_seconds: 900,
      },
      responses: [{ type: "notify", recipients: ["admins"], channels: [] }],
      severity: "warning",
      cooldown_seconds: 0,
      max_responses_per_hour: 60,
    },
  },
  {
    id: "approval_half_expiry",
    name: "High-risk approval at half its expiry",
    description:
      "A high-risk approval still pending half-way to its expiry: remind the admins, once, while there is time to decide.",
    spec: {
      description:
        "The reminder falls half-way between the request and its data.expires_at; any decision, expiry or cancellation before then cancels it.",
      actions: ["approval.requested", "action.approved", "action.rejected", "action.expired", "action.cancelled"],
      condition: 'action == "approval.requested" && has(data.risk_level) && data.risk_level in ["high", "critical"]',
      group_by: ["target.id"],
      aggregation: {
        kind: "absence",
        follow_up: 'action in ["action.approved", "action.rejected", "action.expired", "action.cancelled"]',
        within_seconds: 43_200,
        deadline: { field: "data.expires_at", fraction: 0.5 },
      },
      responses: [{ type: "notify", recipients: ["admins"], channels: [] }],
      severity: "warning",
      cooldown_seconds: 0,
      max_responses_per_hour: 60,
    },
  },
  {
    id: "new_sign_in_address",
    name: "Sign-in from a new address",
    description:
      "A member signs in from an address never seen for them: that session must confirm a fresh second factor before it can continue; notify them and the admins.",
    spec: {
      description:
        "A person's first sign-in only teaches the rule their address. People without a second factor are not asked to step up (nothing to step up with: the MFA policy decides whether they may act).",
      actions: ["auth.sign_in"],
      condition: 'actor.type == "user" && ip != null',
      group_by: ["actor.id"],
      aggregation: { kind: "first_seen", field: "ip" },
      responses: [
        { type: "require_step_up", subject: "target" },
        { type: "notify", recipients: ["actor", "admins"], channels: [] },
      ],
      severity: "info",
      cooldown_seconds: 0,
      max_responses_per_hour: 60,
    },
  },
];

export function templateById(id: string): AlertTemplate | undefined {
  return ALERT_TEMPLATES.find((t) => t.id === id);
}
