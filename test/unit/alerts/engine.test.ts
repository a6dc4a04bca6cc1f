import { describe, expect, it } from "vitest";
import type { AlertEvent } from "@/lib/alerts/condition";
import { absenceDue, compileAlertRule, emptyGroup, matchEvent, step, tick } from "@/lib/alerts/engine";
import { templateById } from "@/lib/alerts/templates";

const T0 = Date.parse("2026-11-29T10:00:00.000Z");

function event(seq: number, action: string, at: number, data: Record<string, unknown> = {}): AlertEvent {
  return {
    seq,
    hash: "ab".repeat(32),
    occurred_at: new Date(at).toISOString(),
    actor: { type: "system", id: null },
    action,
    target: { type: "action", id: "3f0c3d0e-8b55-4a36-9a4b-1d6c8f1e2a70" },
    ip: null,
    data,
  };
}

describe("absence with a deadline from a field", () => {
  const rule = compileAlertRule({ id: "r", name: "half", version: 1 }, templateById("approval_half_expiry")!.spec);
  const agg = rule.spec.aggregation as Extract<typeof rule.spec.aggregation, { kind: "absence" }>;

  it("falls half-way to data.expires_at; an unusable or past time falls back to within_seconds", () => {
    const expires = new Date(T0 + 3_600_000).toISOString();
    expect(absenceDue(agg, event(1, "approval.requested", T0, { expires_at: expires }), T0)).toBe(T0 + 1_800_000);
    expect(absenceDue(agg, event(1, "approval.requested", T0, { expires_at: "soon" }), T0)).toBe(T0 + 43_200_000);
    expect(absenceDue(agg, event(1, "approval.requested", T0, {}), T0)).toBe(T0 + 43_200_000);
    const past = new Date(T0 - 1000).toISOString();
    expect(absenceDue(agg, event(1, "approval.requested", T0, { expires_at: past }), T0)).toBe(T0 + 43_200_000);
  });

  it("fires once at the deadline for a pending high-risk request, never for a low-risk or answered one", () => {
    const expires = new Date(T0 + 3_600_000).toISOString();
    const req = event(1, "approval.requested", T0, { risk_level: "high", expires_at: expires });
    const g = emptyGroup();
    expect(step(rule, g, "k", req, matchEvent(rule, req))).toBeNull();
    expect(tick(rule, g, "k", T0 + 1_799_999)).toBeNull();
    const fire = tick(rule, g, "k", T0 + 1_800_000);
    expect(fire?.triggering.map((t) => t.seq)).toEqual([1]);
    expect(fire?.summary).toContain("50 %");
    expect(tick(rule, g, "k", T0 + 3_000_000)).toBeNull();

    const low = event(2, "approval.requested", T0, { risk_level: "low", expires_at: expires });
    const g2 = emptyGroup();
    step(rule, g2, "k2", low, matchEvent(rule, low));
    expect(tick(rule, g2, "k2", T0 + 3_600_000)).toBeNull();

    const g3 = emptyGroup();
    step(rule, g3, "k3", req, matchEvent(rule, req));
    const approved = event(3, "action.approved", T0 + 60_000);
    step(rule, g3, "k3", approved, matchEvent(rule, approved));
    expect(tick(rule, g3, "k3", T0 + 3_600_000)).toBeNull();
  });

  it("refuses a fraction outside (0, 1] and a deadline field that is not a field", () => {
    const base = templateById("approval_half_expiry")!.spec;
    for (const deadline of [
      { field: "data.expires_at", fraction: 0 },
      { field: "data.expires_at", fraction: 1.5 },
      { field: "data.expires_at; drop", fraction: 0.5 },
    ]) {
      expect(() =>
        compileAlertRule({ id: "r", name: "x", version: 1 }, { ...base, aggregation: { ...agg, deadline } }),
      ).toThrow();
    }
  });
});

describe("template 4: large audit export", () => {
  const rule = compileAlertRule({ id: "r", name: "large", version: 1 }, templateById("large_export")!.spec);
  const requested = (bytes: number) =>
    event(1, "audit.export_requested", T0, { estimated_bytes: bytes, estimated_events: 10 });

  it("matches an export estimated above 1 GiB, and only that event type", () => {
    expect(matchEvent(rule, requested(1_073_741_825)).start).toBe(true);
    expect(matchEvent(rule, requested(1_073_741_824)).start).toBe(false);
    expect(matchEvent(rule, requested(5_000)).start).toBe(false);
    expect(matchEvent(rule, { ...requested(2e9), action: "audit.exported" }).start).toBe(false);
    expect(rule.spec.responses.map((r) => r.type)).toEqual(["require_approval", "notify"]);
  });

  it("fires on each request (no cooldown: every large export is held)", () => {
    const g = emptyGroup();
    const e1 = requested(2e9);
    const e2 = { ...requested(3e9), seq: 2 };
    expect(step(rule, g, "[]", e1, matchEvent(rule, e1))).not.toBeNull();
    expect(step(rule, g, "[]", e2, matchEvent(rule, e2))).not.toBeNull();
  });
});
