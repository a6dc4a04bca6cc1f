import { appendAuditEvent } from "../audit/append-event";
import { withTenant } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { parseOr422 } from "../validation";
import { actorOf, assertCan, tenantOf, userIdOf, type OrgContext } from "../rbac/context";
import {
  newWebhookSecret,
  openChannelSecret,
  ROTATION_OVERLAP_SECONDS,
  sealChannelSecret,
  type ChannelSecret,
} from "./channel-secrets";
import { enqueueDeliveries } from "./deliveries";
import { channelSchema } from "./schemas";

export type ChannelView = {
  id: string;
  kind: "email" | "slack" | "webhook";
  name: string;
  /** Recipients (e-mail) or the URL's host (Slack, webhook): the URL itself is a secret. */
  target: string;
  disabled_at: string | null;
  disabled_reason: string | null;
  created_at: string;
  /** Webhooks: how many signing secrets are valid now (2 during a rotation). */
  active_secrets: number;
};

type Row = {
  id: string;
  kind: ChannelView["kind"];
  name: string;
  config: { recipients?: string[]; host?: string };
  secret_encrypted: string | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  created_at: Date;
};

function toView(r: Row): ChannelView {
  let active = 0;
  if (r.kind === "webhook") {
    const s = openChannelSecret(r.id, r.secret_encrypted);
    const now = Date.now();
    active = (s.secrets ?? []).filter((x) => x.expires_at === null || Date.parse(x.expires_at) > now).length;
  }
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    target: r.kind === "email" ? (r.config.recipients ?? []).join(", ") : (r.config.host ?? ""),
    disabled_at: r.disabled_at?.toISOString() ?? null,
    disabled_reason: r.disabled_reason,
    created_at: r.created_at.toISOString(),
    active_secrets: active,
  };
}

export async function listChannels(ctx: OrgContext): Promise<ChannelView[]> {
  assertCan(ctx, "alerts:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.$queryRaw<Row[]>`
      SELECT id::text, kind, name, config, secret_encrypted, disabled_at, disabled_reason, created_at
      FROM alert_channels WHERE org_id = ${ctx.org.id}::uuid ORDER BY created_at, id`;
    return rows.map(toView);
  });
}

/** Creates a channel. A webhook's signing secret is returned once, here. */
export async function createChannel(ctx: OrgContext, raw: unknown): Promise<ChannelView & { secret?: string }> {
  assertCan(ctx, "alerts:write");
  const body = parseOr422(channelSchema, raw);
  if (body.kind !== "email") {
    const u = new URL(body.url);
    if (u.protocol !== "https:" && u.protocol !== "http:") {
      throw new AppError("validation_failed", "The URL must be http or https", {
        errors: [{ path: "url", message: "http or https only" }],
      });
    }
    if (u.username || u.password) {
      throw new AppError("validation_failed", "The URL must not carry credentials", {
        errors: [{ path: "url", message: "no user:password@ in the URL" }],
      });
    }
  }
  const secret = body.kind === "webhook" ? newWebhookSecret() : undefined;
  return withTenant(tenantOf(ctx), async (tx) => {
    const clash = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM alert_channels WHERE org_id = ${ctx.org.id}::uuid AND name = ${body.name}`;
    if (clash.length > 0) throw new AppError("conflict", `A channel named "${body.name}" already exists`);
    const config = body.kind === "email" ? { recipients: body.recipients } : { host: new URL(body.url).host };
    const [row] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO alert_channels (org_id, kind, name, config, created_by_user_id)
      VALUES (${ctx.org.id}::uuid, ${body.kind}, ${body.name}, ${JSON.stringify(config)}::jsonb, ${userIdOf(ctx)}::uuid)
      RETURNING id::text`;
    const id = row!.id;
    if (body.kind !== "email") {
      const sealed: ChannelSecret = { url: body.url };
      if (secret) sealed.secrets = [{ secret, created_at: new Date().toISOString(), expires_at: null }];
      await tx.$executeRaw`
        UPDATE alert_channels SET secret_encrypted = ${sealChannelSecret(id, sealed)}
        WHERE org_id = ${ctx.org.id}::uuid AND id = ${id}::uuid`;
    }
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "alert_channel.created",
      target: { type: "alert_channel", id },
      ip: ctx.ip,
      data: { kind: body.kind, name: body.name, ...config },
    });
    const view = await oneChannel(tx, ctx.org.id, id);
    return secret ? { ...view, secret } : view;
  });
}

async function oneChannel(tx: Parameters<Parameters<typeof withTenant>[1]>[0], orgId: string, id: string) {
  const rows = await tx.$queryRaw<Row[]>`
    SELECT id::text, kind, name, config, secret_encrypted, disabled_at, disabled_reason, created_at
    FROM alert_channels WHERE org_id = ${orgId}::uuid AND id = ${id}::uuid`;
  if (!rows[0]) throw notFound("Channel");
  return toView(rows[0]);
}

/**
 * A new signing secret for a webhook; the previous one stays valid for 24 h
 * and deliveries carry both signatures meanwhile. Returned once.
 */
export async function rotateChannelSecret(ctx: OrgContext, id: string): Promise<ChannelView & { secret: string }> {
  assertCan(ctx, "alerts:write");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.$queryRaw<Row[]>`
      SELECT id::text, kind, name, config, secret_encrypted, disabled_at, disabled_reason, created_at
      FROM alert_channels WHERE org_id = ${ctx.org.id}::uuid AND id = ${id}::uuid FOR UPDATE`;
    const row = rows[0];
    if (!row) throw notFound("Channel");
    if (row.kind !== "webhook") throw new AppError("conflict", "Only webhook channels have a signing secret");
    const sealed = openChannelSecret(id, row.secret_encrypted);
    const now = Date.now();
    const overlapEnd = new Date(now + ROTATION_OVERLAP_SECONDS * 1000).toISOString();
    const kept = (sealed.secrets ?? [])
      .filter((x) => x.expires_at === null || Date.parse(x.expires_at) > now)
      .map((x) => ({ ...x, expires_at: x.expires_at ?? overlapEnd }));
    const secret = newWebhookSecret();
    sealed.secrets = [{ secret, created_at: new Date(now).toISOString(), expires_at: null }, ...kept].slice(0, 3);
    await tx.$executeRaw`
      UPDATE alert_channels SET secret_encrypted = ${sealChannelSecret(id, sealed)}, updated_at = now()
      WHERE org_id = ${ctx.org.id}::uuid AND id = ${id}::uuid`;
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "alert_channel.secret_rotated",
      target: { type: "alert_channel", id },
      ip: ctx.ip,
      data: { previous_valid_until: overlapEnd },
    });
    return { ...(await oneChannel(tx, ctx.org.id, id)), secret };
  });
}

/** Enables or disables a channel (a 410 from the receiver disables it too). */
export async function setChannelEnabled(ctx: OrgContext, id: string, enabled: boolean): Promise<ChannelView> {
  assertCan(ctx, "alerts:write");
  return withTenant(tenantOf(ctx), async (tx) => {
    const n = await tx.$executeRaw`
      UPDATE alert_channels
      SET disabled_at = ${enabled ? null : new Date()}, disabled_reason = ${enabled ? null : "disabled by an admin"}, updated_at = now()
      WHERE org_id = ${ctx.org.id}::uuid AND id = ${id}::uuid`;
    if (n === 0) throw notFound("Channel");
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: enabled ? "alert_channel.enabled" : "alert_channel.disabled",
      target: { type: "alert_channel", id },
      ip: ctx.ip,
      data: {},
    });
    return oneChannel(tx, ctx.org.id, id);
  });
}

/** "Send test": a test message through the queue like any delivery. */
export async function sendTestMessage(ctx: OrgContext, id: string): Promise<{ delivery_id: string }> {
  assertCan(ctx, "alerts:write");
  return withTenant(tenantOf(ctx), async (tx) => {
    const ch = await oneChannel(tx, ctx.org.id, id);
    if (ch.disabled_at) throw new AppError("conflict", "The channel is disabled");
    const [deliveryId] = await enqueueDeliveries(tx, ctx.org.id, [id], {
      eventType: "alert.test",
      firingId: null,
      payload: { type: "alert.test", channel: { id, name: ch.name }, summary: "A test message from Warden" },
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "alert_channel.test_sent",
      target: { type: "alert_channel", id },
      ip: ctx.ip,
      data: { delivery_id: deliveryId },
    });
    return { delivery_id: deliveryId! };
  });
}

export type DeliveryView = {
  id: string;
  channel_id: string;
  channel_name: string;
  kind: string;
  event_type: string;
  firing_id: string | null;
  status: "pending" | "delivered" | "failed" | "dead";
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  replay_of: string | null;
  created_at: string;
  delivered_at: string | null;
};

export async function listDeliveries(ctx: OrgContext): Promise<DeliveryView[]> {
  assertCan(ctx, "alerts:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.$queryRaw<
      (Omit<DeliveryView, "created_at" | "delivered_at" | "next_attempt_at"> & {
        created_at: Date;
        delivered_at: Date | null;
        next_attempt_at: Date | null;
      })[]
    >`
      SELECT d.id::text, d.channel_id::text, c.name AS channel_name, c.kind, d.event_type, d.firing_id::text, d.status,
             d.attempts, d.last_status, d.last_error, d.next_attempt_at, d.replay_of::text, d.created_at, d.delivered_at
      FROM alert_deliveries d JOIN alert_channels c ON c.org_id = d.org_id AND c.id = d.channel_id
      WHERE d.org_id = ${ctx.org.id}::uuid ORDER BY d.created_at DESC, d.id LIMIT 100`;
    return rows.map((r) => ({
      ...r,
      created_at: r.created_at.toISOString(),
      delivered_at: r.delivered_at?.toISOString() ?? null,
      next_attempt_at: r.next_attempt_at?.toISOString() ?? null,
    }));
  });
}

/** Replay: the same payload again as a new delivery (new webhook-id), e.g. after fixing the receiver. */
export async function replayDelivery(ctx: OrgContext, id: string): Promise<{ delivery_id: string }> {
  assertCan(ctx, "alerts:write");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.$queryRaw<
      { channel_id: string; firing_id: string | null; event_type: string; payload: Record<string, unknown> }[]
    >`
      SELECT channel_id::text, firing_id::text, event_type, payload FROM alert_deliveries
      WHERE org_id = ${ctx.org.id}::uuid AND id = ${id}::uuid`;
    const d = rows[0];
    if (!d) throw notFound("Delivery");
    const [newId] = await enqueueDeliveries(
      tx,
      ctx.org.id,
      [d.channel_id],
      { eventType: d.event_type, firingId: d.firing_id, payload: d.payload },
      { replayOf: id },
    );
    if (!newId) throw new AppError("conflict", "The channel is disabled; enable it before replaying");
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "alert_delivery.replayed",
      target: { type: "alert_delivery", id },
      ip: ctx.ip,
      data: { new_delivery_id: newId },
    });
    return { delivery_id: newId };
  });
}
