import { Webhook } from "standardwebhooks";
import { originAllowEntry } from "../connectors/domain-allowlist";
import { safeRequest, isSafeHttpError } from "../connectors/safe-http";
import { withTenant } from "../db/tenant";
import { log } from "../log";
import { metrics } from "../metrics";
import { mailConfigured, sendMail } from "../notifications/mailer";
import { alertMail } from "../notifications/messages";
import { activeSecrets, openChannelSecret } from "./channel-secrets";
import { addDeliveryJob } from "./deliveries";

/**
 * Sends one delivery (a graphile-worker job names it) after the transaction
 * that created it committed, and records the outcome:
 *
 *   2xx                → delivered
 *   410 Gone           → the channel is disabled (the receiver asked us to stop)
 *   other failure      → retried with exponential backoff (≈ 3 days in all),
 *                        never sooner than the receiver's Retry-After
 *   out of attempts    → dead (replayable from the delivery log)
 *
 * Every HTTP request goes through the SSRF-safe client, to the channel's own
 * host only, without following redirects; private addresses only where the
 * organization's admin allowed them.
 */

/** Delay before attempt n+1 (seconds): 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, then 12 h. ≈ 75 h in all. */
export const RETRY_SCHEDULE_SECONDS = [30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 43200, 43200, 43200, 43200];
export const MAX_ATTEMPTS = RETRY_SCHEDULE_SECONDS.length + 1;
const MAX_RETRY_AFTER_SECONDS = 24 * 3600;

type Loaded = {
  status: string;
  attempts: number;
  event_type: string;
  payload: Record<string, unknown>;
  created_at: Date;
  channel_id: string;
  kind: "email" | "slack" | "webhook";
  config: { recipients?: string[] };
  secret_encrypted: string | null;
  disabled_at: Date | null;
  private_cidrs: string[];
};

type Outcome =
  | { ok: true; status: number | null }
  | {
      ok: false;
      status: number | null;
      error: string;
      retryAfterSeconds?: number;
      gone?: boolean;
      permanent?: boolean;
    };

/** Parses Retry-After: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Math.min(Number(v), MAX_RETRY_AFTER_SECONDS);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.min(Math.max(0, Math.ceil((t - now) / 1000)), MAX_RETRY_AFTER_SECONDS);
}

export function nextDelaySeconds(attempts: number, retryAfter?: number): number {
  const base = RETRY_SCHEDULE_SECONDS[Math.min(attempts - 1, RETRY_SCHEDULE_SECONDS.length - 1)]!;
  const jittered = Math.round(base * (0.9 + Math.random() * 0.2));
  return Math.max(jittered, retryAfter ?? 0);
}

export async function deliver(orgId: string, deliveryId: string): Promise<void> {
  const d = await withTenant({ orgId }, async (tx) => {
    const rows = await tx.$queryRaw<Loaded[]>`
      SELECT d.status, d.attempts, d.event_type, d.payload, d.created_at, c.id::text AS channel_id, c.kind, c.config,
             c.secret_encrypted, c.disabled_at, o.http_allowed_private_cidrs AS private_cidrs
      FROM alert_deliveries d
      JOIN alert_channels c ON c.org_id = d.org_id AND c.id = d.channel_id
      JOIN organizations o ON o.id = d.org_id
      WHERE d.org_id = ${orgId}::uuid AND d.id = ${deliveryId}::uuid`;
    return rows[0] ?? null;
  });
  if (!d || d.status !== "pending") return; // delivered, dead, or not ours
  const outcome: Outcome = d.disabled_at
    ? { ok: false, status: null, error: "the channel is disabled", permanent: true }
    : await send(deliveryId, d);
  await record(orgId, deliveryId, d, outcome);
  const result = outcome.ok ? "delivered" : outcome.permanent || outcome.gone ? "failed_permanently" : "failed";
  metrics().alertDeliveries.inc({ channel: d.kind, result });
  if (outcome.ok) metrics().alertDeliveryLag.observe({ channel: d.kind }, (Date.now() - d.created_at.getTime()) / 1000);
}

async function send(deliveryId: string, d: Loaded): Promise<Outcome> {
  try {
    if (d.kind === "email") return await sendEmail(d);
    const secret = openChannelSecret(d.channel_id, d.secret_encrypted);
    if (!secret.url) return { ok: false, status: null, error: "the channel has no URL", permanent: true };
    const url = new URL(secret.url);
    let body: string;
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "Warden-Webhooks/1" };
    if (d.kind === "slack") {
      body = JSON.stringify({ text: slackText(d) });
    } else {
      body = JSON.stringify({ type: d.event_type, timestamp: d.created_at.toISOString(), data: d.payload });
      const now = new Date();
      // Standard Webhooks: webhook-id is the same on every retry, so receivers can deduplicate.
      const signatures = activeSecrets(secret).map((s) => new Webhook(s).sign(deliveryId, now, body));
      if (signatures.length === 0) return { ok: false, status: null, error: "no signing secret", permanent: true };
      headers["webhook-id"] = deliveryId;
      headers["webhook-timestamp"] = String(Math.floor(now.getTime() / 1000));
      headers["webhook-signature"] = signatures.join(" ");
    }
    const res = await safeRequest({
      url: url.toString(),
      method: "POST",
      headers,
      body,
      timeoutMs: 15_000,
      maxResponseBytes: 64 * 1024,
      maxRedirects: 0,
      allowDomains: [originAllowEntry(url)],
      allowPrivateCidrs: d.private_cidrs,
    });
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    return {
      ok: false,
      status: res.status,
      error: `HTTP ${res.status}`,
      gone: res.status === 410,
      retryAfterSeconds: parseRetryAfter(res.headers["retry-after"]),
    };
  } catch (e) {
    if (isSafeHttpError(e)) return { ok: false, status: null, error: `refused: ${e.message}`.slice(0, 1000) };
    return { ok: false, status: null, error: (e instanceof Error ? e.message : "delivery failed").slice(0, 1000) };
  }
}

async function sendEmail(d: Loaded): Promise<Outcome> {
  if (!mailConfigured()) return { ok: false, status: null, error: "SMTP_URL is not configured" };
  const p = d.payload as { summary?: string; severity?: string; rule?: { name?: string }; triggering?: unknown[] };
  const mail = alertMail({
    eventType: d.event_type,
    severity: p.severity,
    ruleName: p.rule?.name,
    summary: p.summary,
    triggering: p.triggering,
  });
  await sendMail({ to: d.config.recipients ?? [], ...mail });
  return { ok: true, status: null };
}

function slackText(d: Loaded): string {
  const p = d.payload as { summary?: string; severity?: string };
  if (d.event_type === "alert.test") return "Warden: test message from an alert channel.";
  return `:rotating_light: Warden ${p.severity ?? "alert"}: ${p.summary ?? d.event_type}`;
}

async function record(orgId: string, deliveryId: string, d: Loaded, o: Outcome): Promise<void> {
  const attempts = d.attempts + 1;
  await withTenant({ orgId }, async (tx) => {
    if (o.ok) {
      await tx.$executeRaw`
        UPDATE alert_deliveries SET status = 'delivered', attempts = ${attempts}, last_status = ${o.status},
               last_error = NULL, delivered_at = now(), next_attempt_at = NULL
        WHERE org_id = ${orgId}::uuid AND id = ${deliveryId}::uuid AND status = 'pending'`;
      return;
    }
    if (o.gone) {
      await tx.$executeRaw`
        UPDATE alert_channels SET disabled_at = now(), disabled_reason = 'the endpoint answered 410 Gone', updated_at = now()
        WHERE org_id = ${orgId}::uuid AND id = ${d.channel_id}::uuid AND disabled_at IS NULL`;
    }
    const dead = o.gone || o.permanent || attempts >= MAX_ATTEMPTS;
    const next = dead ? null : new Date(Date.now() + nextDelaySeconds(attempts, o.retryAfterSeconds) * 1000);
    await tx.$executeRaw`
      UPDATE alert_deliveries SET status = ${dead ? "dead" : "pending"}, attempts = ${attempts}, last_status = ${o.status},
             last_error = ${o.error.slice(0, 1000)}, next_attempt_at = ${next}
      WHERE org_id = ${orgId}::uuid AND id = ${deliveryId}::uuid AND status = 'pending'`;
    if (next) await addDeliveryJob(tx, orgId, deliveryId, next);
  });
  if (!o.ok) log().info({ orgId, deliveryId, attempts, error: o.error }, "alert delivery failed");
}
