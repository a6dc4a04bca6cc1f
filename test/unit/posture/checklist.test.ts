import { describe, expect, it } from "vitest";
import { buildChecklist, dangerousToolCategory, type KeyFacts, type PostureState } from "@/lib/posture/checklist";

const NOW = new Date("2026-06-01T12:00:00Z");
const days = (n: number) => new Date(NOW.getTime() - n * 86_400_000);

function state(over: Partial<PostureState> = {}): PostureState {
  return {
    org: {
      id: "00000000-0000-4000-8000-000000000001",
      slug: "acme",
      name: "Acme",
      mfaPolicy: "everyone",
      mfaPasskeysOnly: false,
      mfaGraceUntil: null,
      sessionIdleTimeoutSeconds: 900,
      sessionAbsoluteTimeoutSeconds: 28_800,
      sensitiveKeys: ["iban"],
      httpAllowedDomains: ["api.example.com"],
      httpAllowedPrivateCidrs: [],
      payloadRetentionDays: 30,
    },
    members: [{ userId: "u1", role: "admin", totp: true, passkeys: 1, recoveryCodesLeft: 10 }],
    sso: { connections: 1, enabled: { name: "Okta", protocol: "oidc" }, enforced: true },
    keys: [],
    policy: { version: 3, rules: 2, allowEverything: [] },
    agents: [],
    alertRules: [
      { name: "a", template: "failed_sign_ins", mode: "active", actions: [] },
      { name: "b", template: "key_rate_limited", mode: "active", actions: [] },
      { name: "c", template: null, mode: "active", actions: ["audit.*"] },
      { name: "d", template: "key_new_address", mode: "active", actions: [] },
      { name: "e", template: "agent_denied", mode: "active", actions: [] },
      { name: "f", template: "approval_half_expiry", mode: "active", actions: [] },
    ],
    audit: {
      size: 10,
      latestCheckpoint: { createdAt: days(0.1), treeSize: 8 },
      verification: { chainOk: true, firstBadSeq: null, reason: null, checkpointsTotal: 2, checkpointsVerified: 2 },
    },
    maxSessionsPerMember: undefined,
    ...over,
  };
}

const key = (over: Partial<KeyFacts> = {}): KeyFacts => ({
  id: "k",
  name: "k",
  last4: "abcd",
  createdAt: days(1),
  expiresAt: days(-30),
  lastUsedAt: days(0),
  ipAllowlist: ["10.0.0.0/8"],
  creator: "member",
  ...over,
});

const item = (s: PostureState, id: string) => buildChecklist(s, NOW).items.find((i) => i.id === id)!;

describe("buildChecklist", () => {
  it("a well-kept organization scores 100; items not available do not count", () => {
    const r = buildChecklist(state(), NOW);
    expect(r.items.filter((i) => i.status !== "not_available" && i.status !== "pass")).toEqual([]);
    expect(r.score).toBe(100);
    expect(r.counts.not_available).toBe(2);
  });

  it("weights by risk: a failing critical item costs more than a failing low one", () => {
    const critical = buildChecklist(state({ keys: [key({ creator: "removed" })] }), NOW).score;
    const low = buildChecklist(state({ keys: [key({ lastUsedAt: days(45), createdAt: days(60) })] }), NOW).score;
    expect(critical).toBeLessThan(low);
    expect(low).toBeLessThan(100);
  });

  it("key checks: expiry, allowlist, 90-day age, 30-day disuse, creator standing", () => {
    const keys = [
      key({ name: "never", expiresAt: null }),
      key({ name: "open", ipAllowlist: [] }),
      key({ name: "old", createdAt: days(91), lastUsedAt: days(1) }),
      key({ name: "idle", createdAt: days(40), lastUsedAt: days(31) }),
      key({ name: "unusedNew", createdAt: days(5), lastUsedAt: null }),
      key({ name: "locked", creator: "locked" }),
    ];
    const s = state({ keys });
    expect(item(s, "keys_expiry")).toMatchObject({ status: "warn", evidence: ["never (…abcd)"] });
    expect(item(s, "keys_expiry").credit).toBeCloseTo(5 / 6);
    expect(item(s, "keys_ip_allowlist").evidence).toEqual(["open (…abcd)"]);
    expect(item(s, "keys_rotation").evidence).toEqual(["old (…abcd)"]);
    expect(item(s, "keys_unused").evidence).toEqual(["idle (…abcd)"]);
    expect(item(s, "keys_orphaned")).toMatchObject({ status: "fail", evidence: ["locked (…abcd): creator locked"] });
  });

  it("MFA: policy levels and enrolment share per factor", () => {
    expect(item(state({ org: { ...state().org, mfaPolicy: "off" } }), "mfa_required").status).toBe("fail");
    expect(item(state({ org: { ...state().org, mfaPolicy: "privileged" } }), "mfa_required").credit).toBe(0.6);
    const s = state({
      members: [
        { userId: "1", role: "admin", totp: true, passkeys: 0, recoveryCodesLeft: 0 },
        { userId: "2", role: "viewer", totp: false, passkeys: 2, recoveryCodesLeft: 3 },
        { userId: "3", role: "viewer", totp: false, passkeys: 0, recoveryCodesLeft: 0 },
        { userId: "4", role: "viewer", totp: false, passkeys: 0, recoveryCodesLeft: 0 },
      ],
    });
    expect(item(s, "mfa_enrolled")).toMatchObject({
      status: "warn",
      credit: 0.5,
      summary: "2 of 4 members (50%) have a second factor",
      evidence: ["TOTP: 1 (25%)", "passkey: 1 (25%)", "recovery codes left: 1 (25%)"],
    });
  });

  it("dangerous tools: only enabled agents' production allowed lists, by name", () => {
    expect(dangerousToolCategory("shell")).toBe("shell");
    expect(dangerousToolCategory("python.exec")).toBe("code execution");
    expect(dangerousToolCategory("write-file")).toBe("file system");
    expect(dangerousToolCategory("web_fetch")).toBe("unrestricted network");
    expect(dangerousToolCategory("http_proxy")).toBeNull();
    expect(dangerousToolCategory("payments")).toBeNull();
    expect(dangerousToolCategory("shelley")).toBeNull();
    const s = state({
      agents: [
        { slug: "off", name: "off", disabled: true, productionAllowed: ["bash"] },
        { slug: "ok", name: "ok", disabled: false, productionAllowed: ["payments", "http_proxy"] },
        { slug: "bad", name: "bad", disabled: false, productionAllowed: ["run_code", "search"] },
      ],
    });
    expect(item(s, "agents_dangerous_tools")).toMatchObject({
      status: "fail",
      evidence: ["bad: run_code (code execution)"],
      fix: { path: "/agents/bad" },
    });
  });

  it("alerts: coverage of the recommended set, by template or watched event, active rules only", () => {
    const s = state({
      alertRules: [
        { name: "x", template: "failed_sign_ins", mode: "shadow", actions: [] },
        { name: "y", template: null, mode: "active", actions: ["api_key.rate_limited"] },
      ],
    });
    const it = item(s, "alerts_recommended");
    expect(it.summary).toBe("1 of 6 recommended alerts have an active rule");
    expect(it.evidence).toContain("failed sign-ins: missing");
    expect(it.evidence).toContain('key abuse: "y"');
  });

  it("audit: a broken chain or an unverified checkpoint fails; a stale checkpoint with new events fails", () => {
    const base = state().audit;
    expect(
      item(
        state({
          audit: {
            ...base,
            verification: { ...base.verification!, chainOk: false, firstBadSeq: 4, reason: "broken link" },
          },
        }),
        "chain_verified",
      ),
    ).toMatchObject({ status: "fail", summary: "The chain breaks at #4: broken link" });
    expect(
      item(
        state({ audit: { ...base, verification: { ...base.verification!, checkpointsVerified: 1 } } }),
        "chain_verified",
      ).status,
    ).toBe("fail");
    expect(item(state({ audit: { ...base, verification: null } }), "chain_verified").status).toBe("not_available");
    expect(
      item(state({ audit: { ...base, latestCheckpoint: { createdAt: days(2), treeSize: 8 } } }), "checkpoint_fresh")
        .status,
    ).toBe("fail");
    expect(
      item(state({ audit: { ...base, latestCheckpoint: { createdAt: days(2), treeSize: 10 } } }), "checkpoint_fresh")
        .status,
    ).toBe("pass");
    expect(item(state({ audit: { ...base, latestCheckpoint: null } }), "checkpoint_fresh").status).toBe("fail");
  });

  it("policy: an allow-everything rule fails; no policy at all is safe but flagged", () => {
    expect(
      item(
        state({ policy: { version: 2, rules: 1, allowEverything: [{ index: 0, name: "all" }] } }),
        "policy_default_deny",
      ),
    ).toMatchObject({ status: "fail", evidence: ['rule 1 "all" is always true'] });
    expect(item(state({ policy: null }), "policy_default_deny")).toMatchObject({ status: "warn", credit: 1 });
  });

  it("session limit: not available until the deployment has it; then unlimited fails", () => {
    expect(item(state(), "session_limit").status).toBe("not_available");
    expect(item(state({ maxSessionsPerMember: null }), "session_limit").status).toBe("fail");
    expect(item(state({ maxSessionsPerMember: 3 }), "session_limit").status).toBe("pass");
  });
});
