import { randomBytes } from "node:crypto";
import { encryptionKeyring } from "../config/crypto";
import { decrypt, encrypt } from "../security/keyring";

/**
 * A channel's secret part, encrypted at rest (AES-256-GCM key ring, AAD = the
 * channel id): the URL (a Slack incoming-webhook URL is itself a credential)
 * and, for webhooks, the signing secrets. During a rotation the old secret
 * stays valid until its expiry and every delivery carries both signatures, so
 * receivers can switch over without losing a message.
 */
export type ChannelSecret = {
  url?: string;
  secrets?: { secret: string; created_at: string; expires_at: string | null }[];
};

export const ROTATION_OVERLAP_SECONDS = 24 * 3600;

/** A Standard Webhooks secret: whsec_ + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export function sealChannelSecret(channelId: string, s: ChannelSecret): string {
  return encrypt(encryptionKeyring(), JSON.stringify(s), `alert_channel:${channelId}`);
}

export function openChannelSecret(channelId: string, envelope: string | null): ChannelSecret {
  if (!envelope) return {};
  return JSON.parse(decrypt(encryptionKeyring(), envelope, `alert_channel:${channelId}`)) as ChannelSecret;
}

/** Secrets valid now (the current one first). */
export function activeSecrets(s: ChannelSecret, now = Date.now()): string[] {
  return (s.secrets ?? []).filter((x) => x.expires_at === null || Date.parse(x.expires_at) > now).map((x) => x.secret);
}
