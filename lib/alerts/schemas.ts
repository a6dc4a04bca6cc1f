import { z } from "zod";
import { MAX_CONDITION_LENGTH } from "../policy/cel/limits";

/**
 * An alert rule's content (one version). Stored as JSON in
 * alert_rule_versions.spec; validated on every save and again on load.
 */
export const ALERT_LIMITS = {
  maxConditionLength: MAX_CONDITION_LENGTH,
  maxGroupBy: 3,
  maxResponses: 10,
  maxChannelsPerNotify: 10,
  maxWindowSeconds: 30 * 24 * 3600,
  maxThreshold: 10_000,
  maxDistinctThreshold: 1_000,
  /** first_seen: values remembered per group (oldest forgotten first). */
  maxRemembered: 200,
  maxLockSeconds: 7 * 24 * 3600,
  maxBacktestDays: 30,
  maxBacktestEvents: 200_000,
} as const;

/**
 * Event fields a rule may group by or count: fixed fields, or a path of up to
 * four keys into `data`.
 */
export const FIELD_PATTERN =
  /^(action|actor\.type|actor\.id|target\.type|target\.id|ip|data(\.[A-Za-z0-9_-]{1,64}){1,4})$/;
export const fieldSchema = z
  .string()
  .regex(FIELD_PATTERN, "a field: action, actor.type, actor.id, target.type, target.id, ip or data.<key>");

const condition = z
  .string()
  .max(ALERT_LIMITS.maxConditionLength, `at most ${ALERT_LIMITS.maxConditionLength} characters`)
  .refine((s) => s.trim() !== "", "a condition is required");

const windowSeconds = z
  .int("a whole number of seconds")
  .min(10, "at least 10 seconds")
  .max(ALERT_LIMITS.maxWindowSeconds, "at most 30 days");

export const aggregationSchema = z.discriminatedUnion("kind", [
  /** Every matching event fires. */
  z.strictObject({ kind: z.literal("each") }),
  /** At least `threshold` matching events within `window_seconds`, per group. */
  z.strictObject({
    kind: z.literal("count"),
    threshold: z.int().min(1).max(ALERT_LIMITS.maxThreshold),
    window_seconds: windowSeconds,
  }),
  /** At least `threshold` distinct values of `field` within the window, per group. */
  z.strictObject({
    kind: z.literal("distinct"),
    field: fieldSchema,
    threshold: z.int().min(2).max(ALERT_LIMITS.maxDistinctThreshold),
    window_seconds: windowSeconds,
  }),
  /** A value of `field` the group has not had before (the group's very first value only teaches). */
  z.strictObject({ kind: z.literal("first_seen"), field: fieldSchema }),
  /**
   * A matching event not followed, within `within_seconds`, by one matching
   * `follow_up` in the same group. With `deadline`, the wait instead ends
   * `fraction` of the way from the event to the time in the event's `field`
   * (e.g. half-way to an approval's data.expires_at); `within_seconds` is
   * then the fallback for an event without a usable time in that field.
   */
  z.strictObject({
    kind: z.literal("absence"),
    follow_up: condition,
    within_seconds: windowSeconds,
    deadline: z
      .strictObject({
        field: fieldSchema,
        fraction: z.number().gt(0, "more than 0").max(1, "at most 1"),
      })
      .optional(),
  }),
]);
export type Aggregation = z.infer<typeof aggregationSchema>;

const subject = z.enum(["actor", "target"]);
const duration = z.int().min(60, "at least 60 seconds").max(ALERT_LIMITS.maxLockSeconds, "at most 7 days");

export const RECIPIENTS = ["admins", "actor", "key_creator"] as const;

export const responseSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("notify"),
    /** Members who get it in their in-app inbox (and by e-mail channels' own recipients). */
    recipients: z.array(z.enum(RECIPIENTS)).max(3).default(["admins"]),
    channels: z.array(z.uuid()).max(ALERT_LIMITS.maxChannelsPerNotify).default([]),
  }),
  z.strictObject({ type: z.literal("lock_user"), subject: subject.default("actor"), duration_seconds: duration }),
  z.strictObject({ type: z.literal("suspend_key"), subject: subject.default("actor") }),
  /**
   * The session named by the event (auth.sign_in's target) must confirm a
   * fresh second factor before it can do anything else; a person without a
   * factor is not asked (nothing to step up with: the MFA policy decides).
   */
  z.strictObject({ type: z.literal("require_step_up"), subject: subject.default("target") }),
  z.strictObject({
    type: z.literal("throttle_key"),
    subject: subject.default("actor"),
    per_minute: z.int().min(1).max(100_000),
    duration_seconds: duration,
  }),
  z.strictObject({ type: z.literal("disable_agent"), subject: z.enum(["actor", "target", "data.agent_id"]) }),
  /**
   * Holds what the event requested until a person with approvals:decide (not
   * the requester) approves it. Applies to audit exports (the event
   * audit.export_requested, evaluated in the request's own transaction). A
   * rule with this response is a gate: silences and the hourly cap do not
   * let a request through; only shadow or disabled mode does.
   */
  z.strictObject({
    type: z.literal("require_approval"),
    expires_in_seconds: z
      .int()
      .min(300, "at least 300 seconds")
      .max(7 * 24 * 3600, "at most 7 days")
      .default(24 * 3600),
  }),
]);
export type AlertResponse = z.infer<typeof responseSchema>;

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ruleSpecSchema = z.strictObject({
  description: z.string().trim().max(500).default(""),
  /** Event types the rule looks at (exact, or a `prefix.*`); empty = every event. */
  actions: z
    .array(
      z
        .string()
        .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$/, "an event type such as auth.sign_in_failed or auth.*"),
    )
    .max(20)
    .default([]),
  condition,
  group_by: z.array(fieldSchema).max(ALERT_LIMITS.maxGroupBy).default([]),
  aggregation: aggregationSchema.default({ kind: "each" }),
  responses: z.array(responseSchema).max(ALERT_LIMITS.maxResponses).default([]),
  severity: z.enum(SEVERITIES).default("warning"),
  cooldown_seconds: z.int().min(0).max(ALERT_LIMITS.maxWindowSeconds).default(0),
  max_responses_per_hour: z.int().min(1).max(1000).default(20),
});
export type RuleSpec = z.infer<typeof ruleSpecSchema>;

export const RULE_MODES = ["active", "shadow", "disabled"] as const;
export type RuleMode = (typeof RULE_MODES)[number];

const name = z.string().trim().min(1, "a name is required").max(100);

export const createRuleSchema = z.strictObject({
  name,
  mode: z.enum(RULE_MODES).default("shadow"),
  template: z
    .string()
    .regex(/^[a-z0-9_]{1,64}$/)
    .optional(),
  spec: z.unknown(),
});

export const updateRuleSchema = z.strictObject({
  name: name.optional(),
  mode: z.enum(RULE_MODES).optional(),
  spec: z.unknown().optional(),
});

export const ruleParamsSchema = z.object({ id: z.uuid() });

export const testRuleSchema = z.strictObject({
  spec: z.unknown(),
  /** How many of the most recent events to test against. */
  limit: z.int().min(1).max(5000).default(500),
});

export const backtestSchema = z.strictObject({
  spec: z.unknown(),
  days: z.int().min(1).max(ALERT_LIMITS.maxBacktestDays).default(7),
});

export const createSilenceSchema = z.strictObject({
  rule_id: z.uuid().nullish(),
  group_key: z.string().max(1024).nullish(),
  reason: z.string().trim().min(1, "a reason is required").max(500),
  duration_seconds: z
    .int()
    .min(60)
    .max(30 * 24 * 3600),
});

export const channelSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("email"),
    name,
    recipients: z.array(z.email().max(320)).min(1).max(20),
  }),
  z.strictObject({ kind: z.literal("slack"), name, url: z.url().max(2000) }),
  z.strictObject({ kind: z.literal("webhook"), name, url: z.url().max(2000) }),
]);
export type ChannelInput = z.infer<typeof channelSchema>;

export const firingsQuerySchema = z.object({
  rule_id: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
