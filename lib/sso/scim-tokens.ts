import { z } from "zod";
import { appendAuditEvent } from "../audit/append-event";
import { lookupScimToken } from "../db/lookup";
import { withTenant } from "../db/tenant";
import { notFound } from "../errors";
import { base62ToUuid, uuidToBase62 } from "../keys/format";
import { actorOf, assertCan, tenantOf, userIdOf, type OrgContext, type OrgRef } from "../rbac/context";
import { constantTimeEqualHex, randomToken, sha256Hex } from "../security/hash";

/**
 * SCIM bearer tokens, one organization each. Format `wscim_<id>_<secret>`:
 * the id (the row's uuid in base62, 22 chars) finds the row, the secret (32
 * random bytes, base64url) is checked against its stored SHA-256 in constant
 * time. Shown once at creation; revocable; both audited.
 */

export const SCIM_TOKEN_PATTERN = /^wscim_([0-9A-Za-z]{22})_([A-Za-z0-9_-]{43})$/;

export const createScimTokenSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  /** Days until the token expires; none: it lasts until revoked. */
  expires_in_days: z.number().int().min(1).max(3650).optional(),
});

export type ScimTokenView = {
  id: string;
  name: string;
  last4: string;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
};

type Row = {
  id: string;
  name: string;
  last4: string;
  createdAt: Date;
  createdBy: string | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

function viewOf(r: Row): ScimTokenView {
  return {
    id: r.id,
    name: r.name,
    last4: r.last4,
    created_at: r.createdAt.toISOString(),
    created_by: r.createdBy,
    expires_at: r.expiresAt?.toISOString() ?? null,
    last_used_at: r.lastUsedAt?.toISOString() ?? null,
    revoked_at: r.revokedAt?.toISOString() ?? null,
  };
}

export async function listScimTokens(ctx: OrgContext): Promise<ScimTokenView[]> {
  assertCan(ctx, "org:admin");
  return withTenant(tenantOf(ctx), async (tx) =>
    (await tx.scimToken.findMany({ orderBy: { createdAt: "desc" } })).map(viewOf),
  );
}

export async function createScimToken(
  ctx: OrgContext,
  input: z.infer<typeof createScimTokenSchema>,
): Promise<ScimTokenView & { token: string }> {
  assertCan(ctx, "org:admin");
  const secret = randomToken(32);
  const expiresAt = input.expires_in_days ? new Date(Date.now() + input.expires_in_days * 86_400_000) : null;
  return withTenant(tenantOf(ctx), async (tx) => {
    const row = await tx.scimToken.create({
      data: {
        orgId: ctx.org.id,
        name: input.name,
        secretHash: sha256Hex(secret),
        last4: secret.slice(-4),
        createdBy: userIdOf(ctx),
        expiresAt,
      },
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "scim.token_created",
      target: { type: "scim_token", id: row.id },
      ip: ctx.ip,
      data: { name: row.name, last4: row.last4, expires_at: expiresAt?.toISOString() ?? null },
    });
    return { ...viewOf(row), token: `wscim_${uuidToBase62(row.id)}_${secret}` };
  });
}

export async function revokeScimToken(ctx: OrgContext, id: string): Promise<ScimTokenView> {
  assertCan(ctx, "org:admin");
  return withTenant(tenantOf(ctx), async (tx) => {
    const row = await tx.scimToken.findUnique({ where: { id } });
    if (!row) throw notFound("SCIM token");
    if (row.revokedAt) return viewOf(row);
    const updated = await tx.scimToken.update({
      where: { id },
      data: { revokedAt: new Date(), revokedBy: userIdOf(ctx) },
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "scim.token_revoked",
      target: { type: "scim_token", id },
      ip: ctx.ip,
      data: { name: row.name, last4: row.last4 },
    });
    return viewOf(updated);
  });
}

export type ScimCaller = { tokenId: string; org: OrgRef };

// Compared against when no row matches, so an unknown id costs what a wrong secret does.
const DUMMY_HASH = sha256Hex("warden-scim-no-such-token");

/**
 * The organization a bearer token speaks for, or null (malformed, unknown,
 * wrong secret, revoked or expired: the caller cannot tell which).
 */
export async function verifyScimToken(token: string): Promise<ScimCaller | null> {
  const m = SCIM_TOKEN_PATTERN.exec(token);
  if (!m) return null;
  const id = base62ToUuid(m[1]!);
  if (!id) return null;
  const row = await lookupScimToken(id);
  const secretOk = constantTimeEqualHex(sha256Hex(m[2]!), row?.secret_hash ?? DUMMY_HASH);
  if (!row || !secretOk || row.revoked_at || (row.expires_at && row.expires_at <= new Date())) return null;
  return { tokenId: row.id, org: { id: row.org_id, slug: row.org_slug, name: row.org_name } };
}

/** Records use for the settings page, at most once a minute per token (one small write). */
export async function touchScimToken(caller: ScimCaller): Promise<void> {
  await withTenant({ orgId: caller.org.id }, (tx) =>
    tx.scimToken.updateMany({
      where: { id: caller.tokenId, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(Date.now() - 60_000) } }] },
      data: { lastUsedAt: new Date() },
    }),
  );
}
