import type { Tx } from "../db/tenant";
import { log } from "../log";
import { mailConfigured, sendMail } from "./mailer";
import { SECURITY_NOTICE_KINDS, securityNoticeMail, type SecurityNotice, type SecurityNoticeKind } from "./messages";

export { SECURITY_NOTICE_KINDS, type SecurityNotice, type SecurityNoticeKind };

/**
 * Security notices by e-mail: "your password was changed", "a sign-in factor
 * was added/removed", "new recovery codes". For whoever makes such a change
 * (the account page, MFA enrolment):
 *
 *   await withUser(userId, async (tx) => {
 *     …the change… appendAuditEvent(…)…
 *     await queueSecurityNotice(tx, { to: email, kind: "mfa_factor_added", detail: "passkey “YubiKey”", ip });
 *   });
 *
 * The notice is a graphile-worker job added in the caller's transaction (plain
 * SQL): it is sent if and only if the change committed, after the commit, by
 * the worker every app instance runs (lib/alerts/worker.ts), with the queue's
 * retries when the mail server is away. Without SMTP_URL nothing is queued
 * (returns false). The job holds only the address, the kind, a one-line
 * detail, the client address and the time: no secret, no link.
 */
export const SECURITY_NOTICE_TASK = "security_notice";

/** About a day and a half of graphile-worker's exponential backoff before giving up. */
const MAX_ATTEMPTS = 12;

type Payload = { to: string; kind: SecurityNoticeKind; detail: string | null; ip: string | null; at: string };

export async function queueSecurityNotice(tx: Tx, notice: SecurityNotice): Promise<boolean> {
  if (!mailConfigured()) return false;
  if (!SECURITY_NOTICE_KINDS.includes(notice.kind)) throw new Error(`unknown security notice: ${String(notice.kind)}`);
  const payload: Payload = {
    to: notice.to,
    kind: notice.kind,
    detail: notice.detail?.slice(0, 200) ?? null,
    ip: notice.ip ?? null,
    at: (notice.at ?? new Date()).toISOString(),
  };
  await tx.$queryRaw`
    SELECT 1 FROM graphile_worker.add_job(${SECURITY_NOTICE_TASK}, ${JSON.stringify(payload)}::json,
                                          max_attempts => ${MAX_ATTEMPTS}::int)`;
  return true;
}

/** The worker's task: sends one queued notice (a failure throws, and the queue retries it). */
export async function sendQueuedSecurityNotice(raw: unknown): Promise<void> {
  const p = raw as Partial<Payload>;
  if (
    typeof p.to !== "string" ||
    typeof p.at !== "string" ||
    !SECURITY_NOTICE_KINDS.includes(p.kind as SecurityNoticeKind)
  ) {
    log().warn({ task: SECURITY_NOTICE_TASK }, "dropped a malformed security notice job");
    return;
  }
  if (!mailConfigured()) {
    log().warn({ kind: p.kind }, "SMTP_URL is no longer configured: a security notice was not sent");
    return;
  }
  await sendMail(
    securityNoticeMail({
      to: p.to,
      kind: p.kind as SecurityNoticeKind,
      detail: p.detail ?? null,
      ip: p.ip ?? null,
      at: new Date(p.at),
    }),
  );
}
