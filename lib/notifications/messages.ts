import type { MailMessage } from "./mailer";

/**
 * The texts of Warden's e-mails, pure (no I/O) so they are tested as text.
 *
 * Alert e-mails and security notices never carry a link: a phishing message
 * that imitates them cannot teach people to click one. Values that come from
 * events (names, group values, details) are defanged, so that even text an
 * attacker chose ("https://warden-login.example") is not a link in a mail
 * client. Invitations are the one e-mail with a link, the one-time link to
 * accept (and set a password for a new account), built from the configured
 * public URL (never from a request's Host header).
 */

/** "https://x.example/a" → "hxxps[://]x.example/a": mail clients do not make it a link. */
export function defang(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]{1,20}):\/\//gi, (_, scheme: string) => `${scheme.replace(/t/gi, "x")}[://]`)
    .replace(/\bwww\./gi, "www[.]")
    .replace(/\bmailto:/gi, "mailto[:]");
}

/** One line, no control characters, at most `max` characters. */
function line(text: string, max = 300): string {
  return text
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ")
    .trim()
    .slice(0, max);
}

const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

export type AlertMail = {
  eventType: string;
  severity?: string;
  ruleName?: string;
  summary?: string;
  triggering?: unknown[];
};

export function alertMail(a: AlertMail): Omit<MailMessage, "to"> {
  const test = a.eventType === "alert.test";
  const subject = test
    ? "[Warden] Test message"
    : `[Warden] ${line(a.severity ?? "alert", 20)}: ${defang(line(a.ruleName ?? "alert rule", 100))}`;
  const lines = [
    test ? "A test message from Warden's alert channels." : defang(line(a.summary ?? "An alert rule fired.", 1000)),
    "",
    `Event: ${line(a.eventType, 100)}`,
    ...(a.triggering ? [`Triggering audit events: ${JSON.stringify(a.triggering).slice(0, 2000)}`] : []),
    "",
    "Open Warden the way you usually do to see the details.",
    "Alert e-mails from Warden never contain links: do not follow one that claims to come from Warden.",
  ];
  return { subject, text: lines.join("\n") };
}

export const SECURITY_NOTICE_KINDS = [
  "password_changed",
  "mfa_factor_added",
  "mfa_factor_removed",
  "recovery_codes_regenerated",
] as const;
export type SecurityNoticeKind = (typeof SECURITY_NOTICE_KINDS)[number];

const NOTICE_TEXT: Record<SecurityNoticeKind, { subject: string; what: string }> = {
  password_changed: { subject: "Your Warden password was changed", what: "Your Warden password was changed" },
  mfa_factor_added: {
    subject: "A sign-in factor was added to your Warden account",
    what: "A new sign-in factor was added to your Warden account",
  },
  mfa_factor_removed: {
    subject: "A sign-in factor was removed from your Warden account",
    what: "A sign-in factor was removed from your Warden account",
  },
  recovery_codes_regenerated: {
    subject: "New recovery codes for your Warden account",
    what: "New recovery codes were generated for your Warden account (the old ones no longer work)",
  },
};

export type SecurityNotice = {
  to: string;
  kind: SecurityNoticeKind;
  /** e.g. the factor: "passkey “YubiKey 5”" or "authenticator app". */
  detail?: string | null;
  ip?: string | null;
  at?: Date;
};

export function securityNoticeMail(n: SecurityNotice): MailMessage {
  const t = NOTICE_TEXT[n.kind];
  const detail = n.detail ? ` (${defang(line(n.detail, 120))})` : "";
  const from = n.ip ? ` from the address ${line(n.ip, 64)}` : "";
  return {
    to: n.to,
    subject: `[Warden] ${t.subject}`,
    text: [
      `${t.what}${detail} on ${utc(n.at ?? new Date())}${from}.`,
      "",
      "If this was you, there is nothing to do.",
      "If it was not, contact your Warden administrator at once: someone else may be able to sign in as you.",
      "",
      "This notice contains no links. Sign in to Warden the way you usually do.",
    ].join("\n"),
  };
}

export type InvitationMail = {
  to: string;
  orgName: string;
  invitedBy: string | null;
  url: string;
  expiresAt: Date;
};

export function invitationMail(i: InvitationMail): MailMessage {
  const org = defang(line(i.orgName, 100));
  const by = i.invitedBy ? `${defang(line(i.invitedBy, 200))} invited you` : "You are invited";
  return {
    to: i.to,
    subject: `[Warden] You are invited to ${org}`,
    text: [
      `${by} to join ${org} on Warden.`,
      "",
      "Accept with this one-time link (sign in if you have a Warden account, or set a password to create one):",
      i.url,
      "",
      `It works once and expires on ${utc(i.expiresAt)}. If you did not expect this invitation, ignore this e-mail.`,
    ].join("\n"),
  };
}
