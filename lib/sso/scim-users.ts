import { randomUUID } from "node:crypto";
import { z } from "zod";
import { closePendingApprovals } from "../actions/close-pending";
import { appendAuditEvent } from "../audit/append-event";
import { lookupUserByEmail } from "../db/lookup";
import { withTenant, type Tx } from "../db/tenant";
import type { ScimUser } from "../db/generated/client";
import { actorOf, tenantOf, type OrgContext } from "../rbac/context";
import type { Role } from "../rbac/permissions";
import { SCHEMA, ScimError, type ScimFilter } from "./scim";

/**
 * SCIM Users (RFC 7643 §4.1, RFC 7644 §3): the identity provider creates,
 * reads, lists, replaces, patches, deactivates and deletes the people of one
 * organization. userName is the person's work e-mail, which must be in a
 * domain this organization verified (as for SSO sign-in). A person SCIM
 * created gets a membership with the enabled connection's default role
 * (viewer or auditor; admin and approver are never granted by provisioning
 * alone). Deactivation (active=false, or DELETE) happens in one transaction:
 * the membership ends (access to this organization stops on the next
 * request), the sessions this organization's IdP vouched for are revoked, the
 * API keys the person created here are suspended, and pending approvals of
 * actions those keys submitted are cancelled. Every write is audited.
 */

const SELF_SERVE: ReadonlySet<Role> = new Set(["viewer", "auditor"]);
const EMAIL = /^[^@\s"]+@[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

const boolish = z.union([
  z.boolean(),
  // Microsoft Entra sends "True"/"False" as strings in PATCH.
  z
    .string()
    .regex(/^(true|false)$/i)
    .transform((s) => s.toLowerCase() === "true"),
]);

const nameSchema = z
  .object({
    givenName: z.string().max(200).nullish(),
    familyName: z.string().max(200).nullish(),
    formatted: z.string().max(200).nullish(),
  })
  .nullish();

/** The attributes we keep; others an IdP sends (enterprise extension, phone numbers) are ignored. */
export const scimUserSchema = z.object({
  schemas: z.array(z.string()).refine((s) => s.includes(SCHEMA.user), `schemas must include ${SCHEMA.user}`),
  userName: z.string().trim().min(3).max(320),
  externalId: z.string().max(500).nullish(),
  displayName: z.string().max(200).nullish(),
  name: nameSchema,
  active: boolish.optional(),
});
export type ScimUserInput = z.infer<typeof scimUserSchema>;

export const scimPatchSchema = z.object({
  schemas: z.array(z.string()).refine((s) => s.includes(SCHEMA.patch), `schemas must include ${SCHEMA.patch}`),
  Operations: z
    .array(
      z.object({
        op: z.string().regex(/^(add|replace|remove)$/i, "op must be add, replace or remove"),
        path: z.string().max(200).optional(),
        value: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(50),
});

export type ScimUserResource = {
  schemas: string[];
  id: string;
  externalId?: string;
  userName: string;
  displayName?: string;
  name?: { givenName?: string; familyName?: string; formatted?: string };
  emails: { value: string; type: string; primary: boolean }[];
  active: boolean;
  meta: { resourceType: "User"; created: string; lastModified: string; location: string; version: string };
};

export function toResource(u: ScimUser, base: string): ScimUserResource {
  const name: ScimUserResource["name"] = {};
  if (u.givenName) name.givenName = u.givenName;
  if (u.familyName) name.familyName = u.familyName;
  const formatted = [u.givenName, u.familyName].filter(Boolean).join(" ");
  if (formatted) name.formatted = formatted;
  return {
    schemas: [SCHEMA.user],
    id: u.userId,
    ...(u.externalId ? { externalId: u.externalId } : {}),
    userName: u.userName,
    ...(u.displayName ? { displayName: u.displayName } : {}),
    ...(Object.keys(name).length ? { name } : {}),
    emails: [{ value: u.userName, type: "work", primary: true }],
    active: u.active,
    meta: {
      resourceType: "User",
      created: u.createdAt.toISOString(),
      lastModified: u.updatedAt.toISOString(),
      location: `${base}/Users/${u.userId}`,
      version: `W/"${u.version}"`,
    },
  };
}

function emailOf(userName: string): string {
  const email = userName.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 320) {
    throw new ScimError("bad_request", "userName must be the person's work e-mail address", "invalidValue");
  }
  return email;
}

async function assertDomainVerified(tx: Tx, email: string): Promise<void> {
  const domain = email.split("@")[1]!;
  const verified = await tx.ssoDomain.findFirst({ where: { domain, status: "verified" }, select: { id: true } });
  if (!verified) {
    throw new ScimError("bad_request", `${domain} is not a verified domain of this organization`, "invalidValue");
  }
}

/** The role a person provisioned here starts with: the enabled connection's default, if JIT could grant it. */
async function startingRole(tx: Tx): Promise<Role> {
  const c = await tx.ssoConnection.findFirst({ where: { enabled: true }, select: { defaultRole: true } });
  const role = (c?.defaultRole ?? "viewer") as Role;
  return SELF_SERVE.has(role) ? role : "viewer";
}

const cut = (s: string | null | undefined, n: number) => (s == null ? null : s.slice(0, n));

export async function createScimUser(ctx: OrgContext, input: ScimUserInput, base: string): Promise<ScimUserResource> {
  const email = emailOf(input.userName);
  const existing = await lookupUserByEmail(email);
  const active = input.active ?? true;
  return withTenant(tenantOf(ctx), async (tx) => {
    await assertDomainVerified(tx, email);
    const clash = await tx.scimUser.findFirst({
      where: { OR: [{ userName: email }, ...(existing ? [{ userId: existing.id }] : [])] },
      select: { userId: true },
    });
    if (clash) throw new ScimError("conflict", "A user with this userName already exists", "uniqueness");
    const userId = existing?.id ?? randomUUID();
    if (!existing) {
      await tx.$executeRaw`INSERT INTO users (id, email, name) VALUES (${userId}::uuid, ${email}, ${displayOf(input)})`;
    }
    const row = await tx.scimUser.create({
      data: {
        orgId: ctx.org.id,
        userId,
        userName: email,
        externalId: cut(input.externalId, 500),
        displayName: cut(input.displayName, 200),
        givenName: cut(input.name?.givenName, 200),
        familyName: cut(input.name?.familyName, 200),
        active,
      },
    });
    let role: Role | null = null;
    if (active) role = await ensureMembership(tx, ctx, userId, email);
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "scim.user_created",
      target: { type: "user", id: userId },
      ip: ctx.ip,
      data: { user_name: email, external_id: row.externalId, active, role, account_created: !existing },
    });
    return toResource(row, base);
  });
}

function displayOf(input: Pick<ScimUserInput, "displayName" | "name">): string {
  const joined = [input.name?.givenName, input.name?.familyName].filter(Boolean).join(" ");
  return (input.displayName || input.name?.formatted || joined || "").slice(0, 200);
}

/** A membership for an active SCIM user (kept as it is when the person is already a member). */
async function ensureMembership(tx: Tx, ctx: OrgContext, userId: string, email: string): Promise<Role> {
  const m = await tx.membership.findUnique({ where: { orgId_userId: { orgId: ctx.org.id, userId } } });
  if (m) return m.role as Role;
  const role = await startingRole(tx);
  await tx.membership.create({ data: { orgId: ctx.org.id, userId, role } });
  await appendAuditEvent(tx, {
    orgId: ctx.org.id,
    actor: actorOf(ctx),
    action: "member.added",
    target: { type: "user", id: userId },
    ip: ctx.ip,
    data: { email, role, invited: false, via: "scim" },
  });
  return role;
}

async function load(tx: Tx, orgId: string, id: string): Promise<ScimUser> {
  // Another organization's id is not found: RLS hides its rows, and the key names this organization.
  if (!z.uuid().safeParse(id).success) throw new ScimError("not_found", "User not found");
  const row = await tx.scimUser.findUnique({ where: { orgId_userId: { orgId, userId: id } } });
  if (!row) throw new ScimError("not_found", "User not found");
  return row;
}

export async function getScimUser(ctx: OrgContext, id: string, base: string): Promise<ScimUserResource> {
  return withTenant(tenantOf(ctx), async (tx) => toResource(await load(tx, ctx.org.id, id), base));
}

export async function listScimUsers(
  ctx: OrgContext,
  q: { filter: ScimFilter | null; startIndex: number; count: number },
  base: string,
) {
  return withTenant(tenantOf(ctx), async (tx) => {
    const where = q.filter
      ? q.filter.attribute === "userName"
        ? { userName: q.filter.value.trim().toLowerCase() }
        : { externalId: q.filter.value }
      : {};
    const [total, rows] = await Promise.all([
      tx.scimUser.count({ where }),
      q.count === 0
        ? Promise.resolve([])
        : tx.scimUser.findMany({
            where,
            orderBy: [{ createdAt: "asc" }, { userId: "asc" }],
            skip: q.startIndex - 1,
            take: q.count,
          }),
    ]);
    return {
      schemas: [SCHEMA.list],
      totalResults: total,
      startIndex: q.startIndex,
      itemsPerPage: rows.length,
      Resources: rows.map((r) => toResource(r, base)),
    };
  });
}

type Changes = {
  userName?: string;
  externalId?: string | null;
  displayName?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  active?: boolean;
};

export async function replaceScimUser(
  ctx: OrgContext,
  id: string,
  input: ScimUserInput,
  base: string,
): Promise<ScimUserResource> {
  return applyChanges(
    ctx,
    id,
    {
      userName: input.userName,
      externalId: input.externalId ?? null,
      displayName: input.displayName ?? null,
      givenName: input.name?.givenName ?? null,
      familyName: input.name?.familyName ?? null,
      active: input.active ?? true,
    },
    base,
  );
}

const PATH_FIELDS: Record<string, keyof Changes> = {
  username: "userName",
  externalid: "externalId",
  displayname: "displayName",
  "name.givenname": "givenName",
  "name.familyname": "familyName",
  active: "active",
};

function changeFor(field: keyof Changes, value: unknown): Changes {
  if (field === "active") {
    const b = boolish.safeParse(value);
    if (!b.success) throw new ScimError("bad_request", "active must be a boolean", "invalidValue");
    return { active: b.data };
  }
  if (value !== null && typeof value !== "string") {
    throw new ScimError("bad_request", `${field} must be a string`, "invalidValue");
  }
  if (field === "userName" && value === null) throw new ScimError("bad_request", "userName is required", "mutability");
  return { [field]: value === null ? null : value.slice(0, field === "externalId" ? 500 : 200) } as Changes;
}

/** PATCH operations (RFC 7644 §3.5.2) on the attributes we keep; other paths are 400 invalidPath. */
export function patchChanges(ops: z.infer<typeof scimPatchSchema>["Operations"]): Changes {
  let out: Changes = {};
  for (const op of ops) {
    const kind = op.op.toLowerCase();
    if (op.path === undefined) {
      if (kind === "remove") throw new ScimError("bad_request", "remove needs a path", "noTarget");
      if (!op.value || typeof op.value !== "object" || Array.isArray(op.value)) {
        throw new ScimError("bad_request", "A patch without a path needs an object value", "invalidValue");
      }
      for (const [k, v] of Object.entries(op.value as Record<string, unknown>)) {
        if (k === "name" && v && typeof v === "object") {
          for (const [nk, nv] of Object.entries(v as Record<string, unknown>)) {
            const f = PATH_FIELDS[`name.${nk.toLowerCase()}`];
            if (f) out = { ...out, ...changeFor(f, nv) };
          }
          continue;
        }
        const f = PATH_FIELDS[k.toLowerCase()];
        if (f) out = { ...out, ...changeFor(f, v) };
        else if (k.toLowerCase() !== "schemas" && k.toLowerCase() !== "id") {
          throw new ScimError("bad_request", `Unsupported attribute ${k.slice(0, 100)}`, "invalidPath");
        }
      }
      continue;
    }
    const f = PATH_FIELDS[op.path.replace(/^urn:ietf:params:scim:schemas:core:2\.0:User:/i, "").toLowerCase()];
    if (!f) throw new ScimError("bad_request", `Unsupported path ${op.path.slice(0, 100)}`, "invalidPath");
    if (kind === "remove") {
      if (f === "active" || f === "userName") {
        throw new ScimError("bad_request", `${f} cannot be removed`, "mutability");
      }
      out = { ...out, [f]: null };
    } else out = { ...out, ...changeFor(f, op.value) };
  }
  return out;
}

export async function patchScimUser(
  ctx: OrgContext,
  id: string,
  ops: z.infer<typeof scimPatchSchema>["Operations"],
  base: string,
): Promise<ScimUserResource> {
  return applyChanges(ctx, id, patchChanges(ops), base);
}

async function applyChanges(ctx: OrgContext, id: string, changes: Changes, base: string): Promise<ScimUserResource> {
  return withTenant(tenantOf(ctx), async (tx) => {
    const before = await load(tx, ctx.org.id, id);
    if (changes.userName !== undefined && emailOf(changes.userName) !== before.userName) {
      // The account's e-mail is the person's own (and may be theirs in other organizations).
      throw new ScimError("bad_request", "userName cannot be changed; create a new user instead", "mutability");
    }
    const data = {
      externalId: changes.externalId !== undefined ? cut(changes.externalId, 500) : before.externalId,
      displayName: changes.displayName !== undefined ? cut(changes.displayName, 200) : before.displayName,
      givenName: changes.givenName !== undefined ? cut(changes.givenName, 200) : before.givenName,
      familyName: changes.familyName !== undefined ? cut(changes.familyName, 200) : before.familyName,
      active: changes.active ?? before.active,
    };
    const changed = (Object.keys(data) as (keyof typeof data)[]).filter((k) => data[k] !== before[k]);
    if (changed.length === 0) return toResource(before, base);
    const after = await tx.scimUser.update({
      where: { orgId_userId: { orgId: ctx.org.id, userId: id } },
      data: { ...data, version: { increment: 1 }, updatedAt: new Date() },
    });
    let effects: Record<string, unknown> = {};
    if (before.active && !data.active) effects = await deactivate(tx, ctx, before);
    if (!before.active && data.active) effects = { role: await ensureMembership(tx, ctx, id, before.userName) };
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action:
        before.active && !data.active
          ? "scim.user_deactivated"
          : !before.active && data.active
            ? "scim.user_reactivated"
            : "scim.user_updated",
      target: { type: "user", id },
      ip: ctx.ip,
      data: { user_name: before.userName, changed, ...effects },
    });
    return toResource(after, base);
  });
}

/**
 * Ends a person's access to this organization, inside the caller's
 * transaction: all of it commits, or none of it.
 */
async function deactivate(tx: Tx, ctx: OrgContext, u: ScimUser): Promise<Record<string, unknown>> {
  const orgId = ctx.org.id;
  const m = await tx.membership.findUnique({ where: { orgId_userId: { orgId, userId: u.userId } } });
  if (m) {
    if (m.role === "admin") {
      // As lib/members/admins.ts: the organization keeps an admin (break-glass needs one).
      const admins = await tx.$queryRaw<{ user_id: string }[]>`
        SELECT user_id FROM memberships
        WHERE org_id = ${orgId}::uuid AND role = 'admin' AND accepted_at IS NOT NULL FOR UPDATE`;
      if (!admins.some((a) => a.user_id !== u.userId)) {
        throw new ScimError("conflict", "This person is the organization's last admin; promote another admin first");
      }
    }
    await tx.membership.delete({ where: { orgId_userId: { orgId, userId: u.userId } } });
    await tx.ssoRoleRequest.deleteMany({ where: { userId: u.userId } });
    await tx.invitation.updateMany({
      where: { userId: u.userId, acceptedAt: null, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    await appendAuditEvent(tx, {
      orgId,
      actor: actorOf(ctx),
      action: "member.removed",
      target: { type: "user", id: u.userId },
      ip: ctx.ip,
      data: { email: u.userName, role: m.role, via: "scim" },
    });
  }
  const ended = await tx.$queryRaw<{ n: number }[]>`SELECT warden_scim_end_sessions(${u.userId}::uuid) AS n`;
  const sessions = ended[0]?.n ?? 0;
  const reason = `its creator ${u.userName} was deactivated by SCIM`;
  const suspended = await tx.$queryRaw<{ id: string; name: string }[]>`
    UPDATE api_keys SET suspended_at = now(), suspend_reason = ${reason}
    WHERE created_by_user_id = ${u.userId}::uuid AND revoked_at IS NULL AND suspended_at IS NULL
    RETURNING id, name`;
  for (const k of suspended) {
    await appendAuditEvent(tx, {
      orgId,
      actor: actorOf(ctx),
      action: "api_key.suspended",
      target: { type: "api_key", id: k.id },
      ip: ctx.ip,
      data: { name: k.name, reason, acted_for: u.userId },
    });
  }
  const keyIds = (
    await tx.$queryRaw<{ id: string }[]>`SELECT id FROM api_keys WHERE created_by_user_id = ${u.userId}::uuid`
  ).map((k) => k.id);
  const cancelled = await closePendingApprovals(tx, orgId, { as: "cancelled", keyIds, reason });
  return {
    role: m?.role ?? null,
    sessions_ended: Number(sessions ?? 0),
    api_keys_suspended: suspended.map((k) => k.id),
    actions_cancelled: cancelled,
  };
}

export async function deleteScimUser(ctx: OrgContext, id: string): Promise<void> {
  await withTenant(tenantOf(ctx), async (tx) => {
    const u = await load(tx, ctx.org.id, id);
    const effects = u.active ? await deactivate(tx, ctx, u) : {};
    await tx.scimUser.delete({ where: { orgId_userId: { orgId: ctx.org.id, userId: id } } });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "scim.user_deleted",
      target: { type: "user", id },
      ip: ctx.ip,
      data: { user_name: u.userName, ...effects },
    });
  });
}
