import type { Prisma } from "../db/generated/client";
import { appendAuditEvent } from "../audit/append-event";
import { encryptionKeyring } from "../config/crypto";
import { withTenant, type Tx } from "../db/tenant";
import { env } from "../env";
import { AppError, conflict, notFound } from "../errors";
import { actorOf, assertCan, tenantOf, userIdOf, type OrgContext } from "../rbac/context";
import type { Role } from "../rbac/permissions";
import { decrypt, encrypt } from "../security/keyring";
import { parseOr422 } from "../validation";
import { assertNotEnforced } from "./enforcement";
import { assertIssuerAddressAllowed } from "./idp-fetch";
import {
  createConnectionSchema,
  updateConnectionSchema,
  type CreateConnectionInput,
  type groupRolesSchema,
} from "./schemas";
import type { z } from "zod";

export type OidcSettings = { issuer: string; client_id: string; groups_claim: string };
export type SamlSettings = {
  entry_point: string;
  idp_issuer: string;
  idp_certificate: string;
  email_attribute: string;
  groups_attribute: string;
};
export type GroupRole = z.output<typeof groupRolesSchema>[number];

/** A connection as the domain code uses it (the secret decrypted only where needed). */
export type SsoConnection = {
  id: string;
  orgId: string;
  protocol: "oidc" | "saml";
  name: string;
  oidc: OidcSettings | null;
  saml: SamlSettings | null;
  secretEncrypted: string | null;
  defaultRole: Role;
  groupRoles: GroupRole[];
  allowIdpInitiated: boolean;
  idpMfa: boolean;
  enabled: boolean;
  configVersion: number;
  testedVersion: number | null;
  testedAt: Date | null;
  testedBy: string | null;
  lastTest: unknown;
  createdAt: Date;
  updatedAt: Date;
};

/** What the API shows: never the secret. */
export type SsoConnectionView = {
  id: string;
  protocol: "oidc" | "saml";
  name: string;
  oidc: OidcSettings | null;
  saml: SamlSettings | null;
  has_client_secret: boolean;
  default_role: Role;
  group_roles: GroupRole[];
  allow_idp_initiated: boolean;
  idp_mfa: boolean;
  enabled: boolean;
  config_version: number;
  tested: boolean;
  tested_at: string | null;
  tested_by: string | null;
  last_test: unknown;
  created_at: string;
  updated_at: string;
};

type Row = Prisma.SsoConnectionGetPayload<object>;

export function toConnection(r: Row): SsoConnection {
  const config = (r.config ?? {}) as Record<string, unknown>;
  return {
    id: r.id,
    orgId: r.orgId,
    protocol: r.protocol as "oidc" | "saml",
    name: r.name,
    oidc: r.protocol === "oidc" ? (config as OidcSettings) : null,
    saml: r.protocol === "saml" ? (config as SamlSettings) : null,
    secretEncrypted: r.secretEncrypted,
    defaultRole: r.defaultRole,
    groupRoles: (r.groupRoles ?? []) as GroupRole[],
    allowIdpInitiated: r.allowIdpInitiated,
    idpMfa: r.idpMfa,
    enabled: r.enabled,
    configVersion: r.configVersion,
    testedVersion: r.testedVersion,
    testedAt: r.testedAt,
    testedBy: r.testedBy,
    lastTest: r.lastTest,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function viewOf(c: SsoConnection): SsoConnectionView {
  return {
    id: c.id,
    protocol: c.protocol,
    name: c.name,
    oidc: c.oidc,
    saml: c.saml,
    has_client_secret: c.secretEncrypted !== null,
    default_role: c.defaultRole,
    group_roles: c.groupRoles,
    allow_idp_initiated: c.allowIdpInitiated,
    idp_mfa: c.idpMfa,
    enabled: c.enabled,
    config_version: c.configVersion,
    tested: isTested(c),
    tested_at: c.testedAt?.toISOString() ?? null,
    tested_by: c.testedBy,
    last_test: c.lastTest,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

/** A test sign-in of the current settings succeeded (enabling needs it). */
export function isTested(c: SsoConnection): boolean {
  const ok = (c.lastTest as { ok?: unknown } | null)?.ok === true;
  return ok && c.testedVersion === c.configVersion;
}

export function clientSecretOf(c: SsoConnection): string {
  if (!c.secretEncrypted) throw new AppError("conflict", "This connection has no client secret");
  return decrypt(encryptionKeyring(), c.secretEncrypted, `sso:${c.id}`);
}

function assertUrlsAllowed(urls: string[]): void {
  if (env().WARDEN_SSO_ALLOW_HTTP) return;
  const bad = urls.find((u) => !u.startsWith("https://"));
  if (bad) {
    throw new AppError("validation_failed", "Identity-provider URLs must use https", {
      errors: [{ path: "url", message: "Use an https:// URL" }],
    });
  }
}

export async function listConnections(ctx: OrgContext): Promise<SsoConnectionView[]> {
  assertCan(ctx, "org:admin");
  return withTenant(tenantOf(ctx), async (tx) =>
    (await tx.ssoConnection.findMany({ orderBy: { createdAt: "asc" } })).map((r) => viewOf(toConnection(r))),
  );
}

export async function getConnection(ctx: OrgContext, id: string): Promise<SsoConnectionView> {
  assertCan(ctx, "org:admin");
  return withTenant(tenantOf(ctx), async (tx) => viewOf(await loadConnection(tx, id)));
}

export async function loadConnection(tx: Tx, id: string): Promise<SsoConnection> {
  const row = await tx.ssoConnection.findUnique({ where: { id } });
  if (!row) throw notFound("SSO connection");
  return toConnection(row);
}

export async function createConnection(ctx: OrgContext, input: unknown): Promise<SsoConnectionView> {
  assertCan(ctx, "org:admin");
  const body: CreateConnectionInput = parseOr422(createConnectionSchema, input);
  assertUrlsAllowed(body.protocol === "oidc" ? [body.oidc.issuer] : [body.saml.entry_point]);
  if (body.protocol === "oidc") assertIssuerAddressAllowed(body.oidc.issuer);
  const id = crypto.randomUUID();
  return withTenant(tenantOf(ctx), async (tx) => {
    const row = await tx.ssoConnection.create({
      data: {
        id,
        orgId: ctx.org.id,
        protocol: body.protocol,
        name: body.name,
        config: (body.protocol === "oidc" ? body.oidc : body.saml) as Prisma.InputJsonValue,
        secretEncrypted:
          body.protocol === "oidc" ? encrypt(encryptionKeyring(), body.client_secret, `sso:${id}`) : null,
        defaultRole: body.default_role,
        groupRoles: body.group_roles as Prisma.InputJsonValue,
        allowIdpInitiated: body.protocol === "saml" ? body.allow_idp_initiated : false,
        idpMfa: body.idp_mfa,
        createdBy: userIdOf(ctx),
      },
    });
    const c = toConnection(row);
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "sso.connection_created",
      target: { type: "sso_connection", id },
      ip: ctx.ip,
      data: auditSettings(c),
    });
    return viewOf(c);
  });
}

function auditSettings(c: SsoConnection) {
  return {
    protocol: c.protocol,
    name: c.name,
    settings: (c.oidc ?? (c.saml ? { ...c.saml, idp_certificate: "(certificate)" } : {})) as Record<string, string>,
    default_role: c.defaultRole,
    group_roles: c.groupRoles,
    allow_idp_initiated: c.allowIdpInitiated,
    idp_mfa: c.idpMfa,
  };
}

export async function updateConnection(ctx: OrgContext, id: string, input: unknown): Promise<SsoConnectionView> {
  assertCan(ctx, "org:admin");
  const body = parseOr422(updateConnectionSchema, input);
  return withTenant(tenantOf(ctx), async (tx) => {
    const before = await loadConnection(tx, id);
    if (body.oidc && before.protocol !== "oidc") throw badField("oidc", "This is a SAML connection");
    if ((body.saml || body.allow_idp_initiated !== undefined) && before.protocol !== "saml")
      throw badField(body.saml ? "saml" : "allow_idp_initiated", "This is an OIDC connection");
    if (body.client_secret && before.protocol !== "oidc") throw badField("client_secret", "This is a SAML connection");
    if (body.oidc) {
      assertUrlsAllowed([body.oidc.issuer]);
      assertIssuerAddressAllowed(body.oidc.issuer);
    }
    if (body.saml) assertUrlsAllowed([body.saml.entry_point]);
    // What the IdP trusts or sends changes: the new settings need a test before they sign anyone in.
    const identityChange = Boolean(
      body.oidc || body.saml || body.client_secret || body.allow_idp_initiated !== undefined,
    );
    if (identityChange && before.enabled) {
      throw conflict("Disable the connection before changing its identity-provider settings, then test it again");
    }
    const row = await tx.ssoConnection.update({
      where: { id },
      data: {
        name: body.name,
        defaultRole: body.default_role,
        groupRoles: body.group_roles as Prisma.InputJsonValue | undefined,
        config: (body.oidc ?? body.saml) as Prisma.InputJsonValue | undefined,
        secretEncrypted: body.client_secret ? encrypt(encryptionKeyring(), body.client_secret, `sso:${id}`) : undefined,
        allowIdpInitiated: body.allow_idp_initiated,
        idpMfa: body.idp_mfa,
        configVersion: identityChange ? { increment: 1 } : undefined,
        updatedAt: new Date(),
      },
    });
    const after = toConnection(row);
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "sso.connection_updated",
      target: { type: "sso_connection", id },
      ip: ctx.ip,
      data: {
        changed: Object.keys(body).sort(),
        secret_replaced: Boolean(body.client_secret),
        before: auditSettings(before),
        after: auditSettings(after),
        needs_test: identityChange,
      },
    });
    return viewOf(after);
  });
}

function badField(path: string, message: string): AppError {
  return new AppError("validation_failed", "The request body is invalid", { errors: [{ path, message }] });
}

export async function setConnectionEnabled(ctx: OrgContext, id: string, enabled: boolean): Promise<SsoConnectionView> {
  assertCan(ctx, "org:admin");
  return withTenant(tenantOf(ctx), async (tx) => {
    const c = await loadConnection(tx, id);
    if (c.enabled === enabled) return viewOf(c);
    if (enabled) {
      if (!isTested(c)) {
        throw conflict("Run a successful test sign-in with the current settings before enabling this connection");
      }
      const other = await tx.ssoConnection.findFirst({ where: { enabled: true }, select: { name: true } });
      if (other) throw conflict(`Disable “${other.name}” first: one connection signs people in at a time`);
    } else {
      const org = await tx.organization.findUniqueOrThrow({ where: { id: ctx.org.id }, select: { ssoEnforced: true } });
      assertNotEnforced(org.ssoEnforced);
    }
    const row = await tx.ssoConnection.update({ where: { id }, data: { enabled, updatedAt: new Date() } });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: enabled ? "sso.connection_enabled" : "sso.connection_disabled",
      target: { type: "sso_connection", id },
      ip: ctx.ip,
      data: { name: c.name, protocol: c.protocol },
    });
    return viewOf(toConnection(row));
  });
}

export async function deleteConnection(ctx: OrgContext, id: string): Promise<void> {
  assertCan(ctx, "org:admin");
  await withTenant(tenantOf(ctx), async (tx) => {
    const c = await loadConnection(tx, id);
    if (c.enabled) throw conflict("Disable the connection before deleting it");
    await tx.ssoConnection.delete({ where: { id } });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "sso.connection_deleted",
      target: { type: "sso_connection", id },
      ip: ctx.ip,
      data: { name: c.name, protocol: c.protocol },
    });
  });
}
