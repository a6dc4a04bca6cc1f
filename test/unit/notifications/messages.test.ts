import { describe, expect, it } from "vitest";
import { alertMail, defang, invitationMail, securityNoticeMail } from "@/lib/notifications/messages";

const links = (text: string) => text.match(/[a-z][a-z0-9+.-]*:\/\/\S+|www\.\S+/gi) ?? [];

describe("e-mail texts", () => {
  it("defang turns schemes and www. into text a mail client does not link", () => {
    expect(defang("see https://warden-login.example/x and HTTP://a.b, www.c.d, ftp://e")).toBe(
      "see hxxps[://]warden-login.example/x and HxxP[://]a.b, www[.]c.d, fxp[://]e",
    );
    expect(links(defang("javascript://x data://y https://z"))).toEqual([]);
  });

  it("alert e-mails carry no link, even when the rule name or summary holds one; the subject is one line", () => {
    const m = alertMail({
      eventType: "alert.fired",
      severity: "critical",
      ruleName: "Login at https://warden.example\r\nBcc: x@y",
      summary: "first time data.url = https://warden-login.example/session?token=1",
      triggering: [{ seq: 1, hash: "ab" }],
    });
    expect(links(m.text)).toEqual([]);
    expect(links(m.subject)).toEqual([]);
    expect(m.subject).not.toMatch(/[\r\n]/);
    expect(m.text).toContain("hxxps[://]warden-login.example");
    expect(alertMail({ eventType: "alert.test" }).subject).toBe("[Warden] Test message");
  });

  it("security notices say what, when and from where, with no link", () => {
    const m = securityNoticeMail({
      to: "a@example.com",
      kind: "password_changed",
      ip: "198.51.100.4",
      at: new Date("2026-11-29T10:40:00Z"),
    });
    expect(m.subject).toBe("[Warden] Your Warden password was changed");
    expect(m.text).toContain("2026-11-29 10:40 UTC from the address 198.51.100.4");
    expect(links(m.text)).toEqual([]);
  });

  it("an invitation has exactly its one link, and the organization's name cannot add another", () => {
    const m = invitationMail({
      to: "new@example.com",
      orgName: "Acme https://acme-login.example",
      invitedBy: "Ann (ann@example.com)",
      url: "https://warden.example/invite/tok",
      expiresAt: new Date("2026-12-06T10:00:00Z"),
    });
    expect(links(m.text)).toEqual(["https://warden.example/invite/tok"]);
    expect(links(m.subject)).toEqual([]);
  });
});
