import client from "prom-client";
import pkg from "../../package.json" with { type: "json" };

/**
 * Prometheus metrics (prom-client), one registry per process: each app
 * instance is scraped on its own (GET /metrics with the scrape token).
 *
 * Every metric is declared here, so one test checks them all against the
 * Prometheus conventions: `warden_` prefix, snake_case, base units in the name
 * (`_seconds`), counters ending `_total`, and labels from a closed set of
 * low-cardinality values. No label ever carries an organization, user, key,
 * agent or action id, an address, or anything else a caller chooses.
 *
 * Values computed from the database at scrape time (pending approvals,
 * checkpoint age) come from one SECURITY DEFINER function that returns counts
 * and ages only (lib/db/lookup.ts lookupMetricsSnapshot); the scrape route
 * sets them just before rendering.
 */

/** The labels a metric may have. The conventions test refuses any other. */
export const METRIC_LABELS = [
  "route",
  "method",
  "status",
  "effect",
  "environment",
  "decided_by",
  "result",
  "limiter",
  "outcome",
  "channel",
  "version",
  "node_version",
] as const;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const FAST_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05];
const WAIT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600];

function build(registry: client.Registry) {
  const reg = { registers: [registry] };
  return {
    httpRequestDuration: new client.Histogram({
      name: "warden_http_request_duration_seconds",
      help: "API request duration by route template, method and status",
      labelNames: ["route", "method", "status"] as const,
      buckets: LATENCY_BUCKETS,
      ...reg,
    }),
    actionDecisions: new client.Counter({
      name: "warden_action_decisions_total",
      help: "Actions decided, by effect, agent environment and what decided (registry or policy)",
      labelNames: ["effect", "environment", "decided_by"] as const,
      ...reg,
    }),
    policyEvaluationDuration: new client.Histogram({
      name: "warden_policy_evaluation_duration_seconds",
      help: "Time to decide one action from the tool registry and the compiled policy",
      buckets: FAST_BUCKETS,
      ...reg,
    }),
    keyVerifications: new client.Counter({
      name: "warden_api_key_verifications_total",
      help: "API key verifications by result (valid, revoked, expired, rate_limited, ...)",
      labelNames: ["result"] as const,
      ...reg,
    }),
    rateLimitDecisions: new client.Counter({
      name: "warden_rate_limit_decisions_total",
      help: "Rate-limit decisions by limiter and result (allowed or limited)",
      labelNames: ["limiter", "result"] as const,
      ...reg,
    }),
    approvalWait: new client.Histogram({
      name: "warden_approval_wait_seconds",
      help: "From an approval request to its final decision, by outcome",
      labelNames: ["outcome"] as const,
      buckets: WAIT_BUCKETS,
      ...reg,
    }),
    approvalsPending: new client.Gauge({
      name: "warden_approvals_pending",
      help: "Approvals waiting for a decision (all organizations), at scrape time",
      ...reg,
    }),
    approvalOldestPending: new client.Gauge({
      name: "warden_approval_oldest_pending_seconds",
      help: "How long the oldest pending approval has waited, at scrape time (0 when none)",
      ...reg,
    }),
    auditAppendDuration: new client.Histogram({
      name: "warden_audit_append_duration_seconds",
      help: "Time to append a batch of events to an organization's audit chain",
      buckets: LATENCY_BUCKETS,
      ...reg,
    }),
    checkpointAge: new client.Gauge({
      name: "warden_audit_checkpoint_age_seconds",
      help: "Longest time since the last signed checkpoint among logs that grew since it (0 when all are checkpointed)",
      ...reg,
    }),
    alertDeliveries: new client.Counter({
      name: "warden_alert_deliveries_total",
      help: "Alert delivery attempts by channel kind and result",
      labelNames: ["channel", "result"] as const,
      ...reg,
    }),
    alertDeliveryLag: new client.Histogram({
      name: "warden_alert_delivery_lag_seconds",
      help: "From a notification's creation to its successful delivery",
      labelNames: ["channel"] as const,
      buckets: WAIT_BUCKETS,
      ...reg,
    }),
    buildInfo: new client.Gauge({
      name: "warden_build_info",
      help: "Always 1; the labels say which build runs",
      labelNames: ["version", "node_version"] as const,
      ...reg,
    }),
  };
}

type Metrics = ReturnType<typeof build> & { registry: client.Registry };

// One registry per process, even when Next.js loads this module from several bundles.
const holder = globalThis as unknown as { __wardenMetrics?: Metrics };

export function metrics(): Metrics {
  if (!holder.__wardenMetrics) {
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry });
    const m = { ...build(registry), registry };
    m.buildInfo.set({ version: pkg.version, node_version: process.version }, 1);
    holder.__wardenMetrics = m;
  }
  return holder.__wardenMetrics;
}

/** Seconds since `startedAt` (a performance.now() reading). */
export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}

/**
 * The route template of a request, e.g. /api/v1/approvals/[id]/approve: each
 * path segment equal to a route parameter becomes the parameter's name. At most
 * MAX_ROUTES distinct templates are kept per process; any further one is
 * "other", so no request can grow the label set without bound.
 */
const MAX_ROUTES = 300;
const seenRoutes = new Set<string>();

export function routeTemplate(pathname: string, params: Record<string, string | string[] | undefined>): string {
  const segments = pathname.split("/");
  const decoded = segments.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return null;
    }
  });
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      // A catch-all: the trailing segments that spell the array become one [...name].
      const start = decoded.length - value.length;
      if (start > 0 && value.every((v, i) => decoded[start + i] === v)) {
        segments.splice(start, value.length, `[...${name}]`);
        decoded.splice(start, value.length, `[...${name}]`);
      }
      continue;
    }
    const i = decoded.indexOf(value);
    if (i > 0) {
      segments[i] = `[${name}]`;
      decoded[i] = `[${name}]`;
    }
  }
  const template = segments.join("/");
  if (seenRoutes.has(template)) return template;
  if (seenRoutes.size >= MAX_ROUTES) return "other";
  seenRoutes.add(template);
  return template;
}
