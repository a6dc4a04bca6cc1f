import { createHash } from "node:crypto";
import { generate, generateSecret } from "otplib";
import { describe, expect, it } from "vitest";
import { mfaCompliance, lastRequiredFactor } from "@/lib/auth/mfa-policy";
import { normalizeRecoveryCode } from "@/lib/auth/recovery-codes";
import { stepUpChallenge } from "@/lib/auth/step-up-challenge";
import { matchTotpStep } from "@/lib/auth/totp";
import type { SessionUser } from "@/lib/rbac/context";

describe("step-up challenge derivation", () => {
  const base = { purpose: "approval.decide", targetId: "a1", payloadHash: "ab".repeat(32), nonce: "n".repeat(32) };

  it("is SHA-256 over the fixed layout, base64url", () => {
    const expected = createHash("sha256")
      .update(["warden-step-up/v1", base.purpose, base.targetId, base.payloadHash, base.nonce].join("\n"))
      .digest("base64url");
    expect(stepUpChallenge(base)).toBe(expected);
  });

  it("changes with every bound field", () => {
    const c = stepUpChallenge(base);
    expect(stepUpChallenge({ ...base, purpose: "keys.create" })).not.toBe(c);
    expect(stepUpChallenge({ ...base, targetId: "a2" })).not.toBe(c);
    expect(stepUpChallenge({ ...base, payloadHash: "cd".repeat(32) })).not.toBe(c);
    expect(stepUpChallenge({ ...base, nonce: "m".repeat(32) })).not.toBe(c);
    // an absent field is not confusable with a shifted one
    expect(stepUpChallenge({ ...base, targetId: null, payloadHash: `a1` })).not.toBe(
      stepUpChallenge({ ...base, targetId: "a1", payloadHash: null }),
    );
  });

  it("refuses a field with a line feed (it would shift the layout)", () => {
    expect(() => stepUpChallenge({ ...base, targetId: "a\nb" })).toThrow();
  });
});

describe("TOTP matching", () => {
  const secret = generateSecret();
  const at = 1_800_000_000;

  it("matches the current step and ±1 step of drift, not 2", async () => {
    const step = Math.floor(at / 30);
    expect(await matchTotpStep(secret, await generate({ secret, epoch: at }), at)).toBe(step);
    expect(await matchTotpStep(secret, await generate({ secret, epoch: at - 30 }), at)).toBe(step - 1);
    expect(await matchTotpStep(secret, await generate({ secret, epoch: at + 30 }), at)).toBe(step + 1);
    expect(await matchTotpStep(secret, await generate({ secret, epoch: at - 60 }), at)).toBeNull();
    expect(await matchTotpStep(secret, await generate({ secret, epoch: at + 60 }), at)).toBeNull();
  });

  it("refuses anything but 6 digits", async () => {
    for (const c of ["", "12345", "1234567", "12a456", " 123456", "１２３４５６"]) {
      expect(await matchTotpStep(secret, c, at)).toBeNull();
    }
  });
});

describe("recovery codes", () => {
  it("normalise case, spaces and dashes; refuse other lengths and characters", () => {
    expect(normalizeRecoveryCode("ABCD-EFGH-JKMN-PQRS")).toBe("abcdefghjkmnpqrs");
    expect(normalizeRecoveryCode(" abcd efgh jkmn pqrs ")).toBe("abcdefghjkmnpqrs");
    expect(normalizeRecoveryCode("abcd-efgh-jkmn-pqr")).toBeNull();
    expect(normalizeRecoveryCode("abcd-efgh-jkmn-pqr0")).toBeNull(); // 0 is not in the alphabet
  });
});

describe("organization MFA policy", () => {
  const user = (factors: string[], methods: string[]): SessionUser => ({
    sessionId: "s",
    userId: "u",
    email: "e",
    name: "n",
    authMethods: methods,
    createdAt: new Date(),
    mfaPending: false,
    factors,
  });
  const m = (policy: "off" | "privileged" | "everyone", role: "admin" | "viewer", extra = {}) => ({
    role,
    mfa: { policy, passkeysOnly: false, graceUntil: null, stepUpApprovals: "high" as const, ...extra },
  });

  it("applies by role and policy", () => {
    expect(mfaCompliance(user([], ["pwd"]), m("off", "admin")).ok).toBe(true);
    expect(mfaCompliance(user([], ["pwd"]), m("privileged", "viewer")).ok).toBe(true);
    expect(mfaCompliance(user([], ["pwd"]), m("privileged", "admin"))).toEqual({ ok: false, reason: "no_factor" });
    expect(mfaCompliance(user(["totp"], ["pwd"]), m("everyone", "viewer"))).toEqual({
      ok: false,
      reason: "session_without_mfa",
    });
    expect(mfaCompliance(user(["totp"], ["pwd", "otp"]), m("everyone", "viewer")).ok).toBe(true);
  });

  it("passkeys only needs a passkey, and a session that used it", () => {
    const pk = m("everyone", "viewer", { passkeysOnly: true });
    expect(mfaCompliance(user(["totp"], ["pwd", "otp"]), pk)).toEqual({ ok: false, reason: "no_passkey" });
    expect(mfaCompliance(user(["totp", "webauthn"], ["pwd", "otp"]), pk)).toEqual({
      ok: false,
      reason: "session_without_passkey",
    });
    expect(mfaCompliance(user(["webauthn"], ["webauthn"]), pk).ok).toBe(true);
  });

  it("a grace period lets a member in until it ends", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const grace = m("everyone", "viewer", { graceUntil: new Date("2026-01-02T00:00:00Z") });
    expect(mfaCompliance(user([], ["pwd"]), grace, now)).toEqual({ ok: true, grace: grace.mfa.graceUntil });
    expect(mfaCompliance(user([], ["pwd"]), grace, new Date("2026-01-03T00:00:00Z")).ok).toBe(false);
  });

  it("names the organization that needs the last factor", () => {
    const org = { id: "o", slug: "o", name: "Acme" };
    expect(lastRequiredFactor([{ ...m("everyone", "viewer"), org }], { totp: false, passkeys: 0 })).toBe("Acme");
    expect(lastRequiredFactor([{ ...m("everyone", "viewer"), org }], { totp: true, passkeys: 0 })).toBeNull();
    expect(
      lastRequiredFactor([{ ...m("everyone", "viewer", { passkeysOnly: true }), org }], { totp: true, passkeys: 0 }),
    ).toBe("Acme");
    expect(lastRequiredFactor([{ ...m("privileged", "viewer"), org }], { totp: false, passkeys: 0 })).toBeNull();
  });
});
