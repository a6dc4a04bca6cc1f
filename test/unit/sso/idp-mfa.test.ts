import { describe, expect, it } from "vitest";
import { mfaCompliance } from "@/lib/auth/mfa-policy";
import { idpReportsFreshMfa } from "@/lib/sso/provision";
import type { SsoProfile } from "@/lib/sso/profile";

const profile = (p: Partial<SsoProfile>): SsoProfile => ({
  subject: "s",
  email: "a@b.example",
  emailVerified: true,
  name: null,
  groups: [],
  amr: [],
  acr: null,
  authTime: new Date(),
  sessionIndex: null,
  attributes: {},
  ...p,
});

describe("the IdP's MFA", () => {
  it("counts when the IdP says multi-factor (amr or acr) and the authentication is fresh", () => {
    expect(idpReportsFreshMfa(profile({ amr: ["pwd", "mfa"] }))).toBe(true);
    expect(idpReportsFreshMfa(profile({ amr: ["hwk"] }))).toBe(true);
    expect(idpReportsFreshMfa(profile({ acr: "https://refeds.org/profile/mfa" }))).toBe(true);
    expect(idpReportsFreshMfa(profile({ acr: "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract" }))).toBe(
      true,
    );
  });
  it("does not count for a password-only, stale, undated or future-dated authentication", () => {
    expect(idpReportsFreshMfa(profile({ amr: ["pwd"] }))).toBe(false);
    expect(idpReportsFreshMfa(profile({ amr: ["mfa"], authTime: new Date(Date.now() - 11 * 60_000) }))).toBe(false);
    expect(idpReportsFreshMfa(profile({ amr: ["mfa"], authTime: null }))).toBe(false);
    expect(idpReportsFreshMfa(profile({ amr: ["mfa"], authTime: new Date(Date.now() + 5 * 60_000) }))).toBe(false);
  });
  it("satisfies only the organization whose connection allowed it, and never a passkeys-only policy", () => {
    const user = {
      sessionId: "s",
      userId: "u",
      email: "e",
      name: "n",
      authMethods: ["sso", "sso_org:org-a", "idp_mfa:org-a"],
      createdAt: new Date(),
      mfaPending: false,
      factors: [],
    };
    const m = (id: string, passkeysOnly = false) => ({
      org: { id, slug: id, name: id },
      role: "viewer" as const,
      mfa: { policy: "everyone" as const, passkeysOnly, graceUntil: null, stepUpApprovals: "high" as const },
    });
    expect(mfaCompliance(user, m("org-a")).ok).toBe(true);
    expect(mfaCompliance(user, m("org-b")).ok).toBe(false);
    expect(mfaCompliance(user, m("org-a", true)).ok).toBe(false);
  });
});
