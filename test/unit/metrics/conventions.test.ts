import { describe, expect, it } from "vitest";
import { METRIC_LABELS, metrics, routeTemplate } from "@/lib/metrics";

// Labels that would carry who or what (an id, an address, an e-mail): never allowed.
const IDENTIFYING =
  /(^|_)(id|ids|org|organization|user|key|agent|action|approval|ip|address|email|tenant|session)(_|$)/;

describe("every Warden metric follows the Prometheus conventions", async () => {
  const all = await metrics().registry.getMetricsAsJSON();
  const ours = all.filter((m) => m.name.startsWith("warden_"));

  it("declares the metrics the issue names", () => {
    const names = ours.map((m) => m.name);
    for (const expected of [
      "warden_http_request_duration_seconds",
      "warden_action_decisions_total",
      "warden_policy_evaluation_duration_seconds",
      "warden_api_key_verifications_total",
      "warden_rate_limit_decisions_total",
      "warden_approvals_pending",
      "warden_approval_wait_seconds",
      "warden_audit_append_duration_seconds",
      "warden_audit_checkpoint_age_seconds",
      "warden_alert_deliveries_total",
      "warden_alert_delivery_lag_seconds",
      "warden_build_info",
    ]) {
      expect(names).toContain(expected);
    }
  });

  it.each(ours.map((m) => [m.name, m] as const))("%s: name, type, unit suffix, help and labels", (name, m) => {
    expect(name).toMatch(/^warden_[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    expect(m.help.length).toBeGreaterThan(10);
    if (String(m.type) === "counter") expect(name).toMatch(/_total$/);
    else expect(name).not.toMatch(/_total$/);
    if (String(m.type) === "histogram") expect(name).toMatch(/_(seconds|bytes)$/);
    if (name.includes("duration") || name.includes("lag") || name.includes("age") || name.includes("wait")) {
      expect(name).toMatch(/_seconds$/);
    }
    const labels = new Set<string>();
    for (const v of m.values) for (const l of Object.keys(v.labels)) if (l !== "le") labels.add(l);
    const metric = metrics().registry.getSingleMetric(name) as unknown as { labelNames?: string[] };
    const declared = metric.labelNames ?? [];
    expect(declared.length).toBeGreaterThanOrEqual(labels.size);
    for (const l of [...labels, ...declared]) {
      expect(METRIC_LABELS as readonly string[]).toContain(l);
      expect(l).not.toMatch(IDENTIFYING);
      expect(l).toMatch(/^[a-z][a-z0-9_]*$/);
    }
  });
});

describe("routeTemplate", () => {
  const id = "0b9e4f7e-6b0e-4a59-9a59-1c0e5f3f6b11";
  it("replaces each parameter's segment by its name", () => {
    expect(routeTemplate(`/api/v1/approvals/${id}/approve`, { id })).toBe("/api/v1/approvals/[id]/approve");
    expect(routeTemplate("/api/v1/agents", {})).toBe("/api/v1/agents");
  });
  it("matches percent-encoded segments by their decoded value", () => {
    expect(routeTemplate("/api/v1/agents/a%20b", { slug: "a b" })).toBe("/api/v1/agents/[slug]");
  });
  it("folds a catch-all into one segment", () => {
    expect(routeTemplate("/api/nope/x/y", { path: ["nope", "x", "y"] })).toBe("/api/[...path]");
  });
  it("never grows past its cap: further templates are 'other'", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) seen.add(routeTemplate(`/api/unmatched-${i}`, {}));
    expect(seen.has("other")).toBe(true);
    expect(seen.size).toBeLessThanOrEqual(301);
  });
});
