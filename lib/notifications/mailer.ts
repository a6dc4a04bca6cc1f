import nodemailer, { type Transporter } from "nodemailer";
import { env } from "../env";
import { log } from "../log";

/**
 * Warden's outgoing e-mail, over SMTP (SMTP_URL). Used by alert channels and
 * for invitations and security notices (a new sign-in factor, a changed
 * password). Without SMTP_URL nothing is sent and mailConfigured() is false.
 *
 * Call it after the transaction that decided to send has committed (or from a
 * queued job): a message cannot be unsent.
 */
export type MailMessage = {
  to: string | string[];
  subject: string;
  /** Plain text. Alert e-mails never carry sign-in links. */
  text: string;
};

let transport: Transporter | undefined;
let transportUrl: string | undefined;

export function mailConfigured(): boolean {
  return Boolean(env().SMTP_URL);
}

function transporter(): Transporter {
  const url = env().SMTP_URL;
  if (!url) throw new Error("SMTP_URL is not set");
  if (!transport || transportUrl !== url) {
    // Bounded waits: a dead mail server must not hold a request or a job for minutes.
    transport = nodemailer.createTransport(
      { url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 },
      { from: env().SMTP_FROM },
    );
    transportUrl = url;
  }
  return transport;
}

/** Header injection is refused: subjects are one line. */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, " ").slice(0, 200);
}

export async function sendMail(message: MailMessage): Promise<{ messageId: string }> {
  const info = (await transporter().sendMail({
    from: env().SMTP_FROM,
    to: message.to,
    subject: oneLine(message.subject),
    text: message.text,
  })) as { messageId: string };
  return { messageId: info.messageId };
}

/**
 * For security notices: sends when SMTP is configured, logs and swallows a
 * failure (the change itself already happened and is audited).
 */
export async function sendNotice(message: MailMessage): Promise<boolean> {
  if (!mailConfigured()) return false;
  try {
    await sendMail(message);
    return true;
  } catch (err) {
    log().warn({ err }, "could not send an e-mail notice");
    return false;
  }
}
