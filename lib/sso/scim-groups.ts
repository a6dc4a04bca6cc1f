import { z } from "zod";
import type { Prisma } from "../db/generated/client";
import type { ScimGroup } from "../db/generated/client";
import { appendAuditEvent } from "../audit/append-event";
import { withTenant, type Tx } from "../db/tenant";
import { actorOf, tenantOf, type OrgContext } from "../rbac/context";
import type { Role } from "../rbac/permissions";
import type { GroupRole } from "./connections";
import { mappedRole } from "./provision";
import { SCHEMA, ScimError } from "./scim";

/**
 * SCIM Groups (RFC 7643 §4.2). Groups and their members are the IdP's; a
 * member's role follows them through the enabled SSO connection's group →
 * role map (the highest match, else the connection's default), exactly as at
 * SSO sign-in: viewer and auditor are applied at once (both ways), admin and
 * approver wait for an admin's confirmation (sso_role_requests) and are never
 * taken away by a group change (an admin, or deactivation, does that). Members are SCIM users
 * of this organization; an id from anywhere else is refused (400).
 */

const RANK: Record<Role, number> = { viewer: 0, auditor: 1, approver: 2, admin: 3 };
const SELF_SERVE: ReadonlySet<Role> = new Set(["viewer", "auditor"]);

const memberRef = z.object({ value: z.string().max(100), display: z.string().max(320).optional() });

export const scimGroupSchema = z.object({
  schemas: z.array(z.string()).refine((s) => s.includes(SCHEMA.group), `schemas must include ${SCHEMA.group}`),
  displayName: z.string().trim().min(1).max(200),
  externalId: z.string().max(500).nullish(),
  members: z.array(memberRef).max(10_000).optional(),
});
export type ScimGroupInput = z.infer<typeof scimGroupSchema>;

export type ScimGroupResource = {
  schemas: string[];
  id: string;
  displayName: string;
  externalId?: string;
  members: { value: string; display: string; $ref: string }[];
  meta: { resourceType: "Group"; created: string; lastModified: string; location: string; version: string };
};

async function resource(tx: Tx, g: ScimGroup, base: string): Promise<ScimGroupResource> {
  const members = await tx.$queryRaw<{ user_id: string; user_name: string }[]>`
    SELECT m.user_id, u.user_name FROM scim_group_members m
    JOIN scim_users u ON u.org_id = m.org_id AND u.user_id = m.user_id
    WHERE m.group_id = ${g.id}::uuid ORDER BY u.user_name`;
  return {
    schemas: [SCHEMA.group],
    id: g.id,
    displayName: g.displayName,
    ...(g.externalId ? { externalId: g.externalId } : {}),
    members: members.map((m) => ({ value: m.user_id, display: m.user_name, $ref: `${base}/Users/${m.user_id}` })),
    meta: {
      resourceType: "Group",
      created: g.createdAt.toISOString(),
      lastModified: g.updatedAt.toISOString(),
      location: `${base}/Groups/${g.id}`,
      version: `W/"${g.version}"`,
    },
  };
}

async function load(tx: Tx, orgId: string, id: string): Promise<ScimGroup> {
  if (!z.uuid().safeParse(id).success) throw new ScimError("not_found", "Group not found");
  const g = await tx.scimGroup.findUnique({ where: { orgId_id: { orgId, id } } });
  if (!g) throw new ScimError("not_found", "Group not found");
  return g;
}

/** Member ids must be this organization's SCIM users (RLS hides the rest: they count as unknown). */
async function checkedMembers(tx: Tx, refs: { value: string }[]): Promise<string[]> {
  const ids = [...new Set(refs.map((r) => r.value))];
  if (ids.some((id) => !z.uuid().safeParse(id).success)) {
    throw new ScimError("bad_request", "A member is not a user of this organization", "invalidValue");
  }
  if (ids.length === 0) return [];
  const found = await tx.scimUser.findMany({ where: { userId: { in: ids } }, select: { userId: true } });
  if (found.length !== ids.length) {
    throw new ScimError("bad_request", "A member is not a user of this organization", "invalidValue");
  }
  return ids;
}

export async function createScimGroup(ctx: OrgContext, input: ScimGroupInput, base: string) {
  return withTenant(tenantOf(ctx), async (tx) => {
    const clash = await tx.scimGroup.findUnique({
      where: { orgId_displayName: { orgId: ctx.org.id, displayName: input.displayName } },
    });
    if (clash) throw new ScimError("conflict", "A group with this displayName already exists", "uniqueness");
    const members = await checkedMembers(tx, input.members ?? []);
    const g = await tx.scimGroup.create({
      data: { orgId: ctx.org.id, displayName: input.displayName, externalId: input.externalId ?? null },
    });
    if (members.length) {
      await tx.scimGroupMember.createMany({
        data: members.map((userId) => ({ orgId: ctx.org.id, groupId: g.id, userId })),
      });
    }
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "scim.group_created",
      target: { type: "scim_group", id: g.id },
      ip: ctx.ip,
      data: { display_name: g.displayName, members_added: members },
    });
    await syncRoles(tx, ctx, members);
    return resource(tx, g, base);
  });
}

export async function getScimGroup(ctx: OrgContext, id: string, base: string) {
  return withTenant(tenantOf(ctx), async (tx) => resource(tx, await load(tx, ctx.org.id, id), base));
}

export type GroupFilter = { attribute: "displayName" | "externalId"; value: string };

export async function listScimGroups(
  ctx: OrgContext,
  q: { filter: GroupFilter | null; startIndex: number; count: number },
  base: string,
) {
  return withTenant(tenantOf(ctx), async (tx) => {
    const where: Prisma.ScimGroupWhereInput = q.filter
      ? q.filter.attribute === "displayName"
        ? { displayName: q.filter.value }
        : { externalId: q.filter.value }
      : {};
    const total = await tx.scimGroup.count({ where });
    const rows =
      q.count === 0
        ? []
        : await tx.scimGroup.findMany({
            where,
            orderBy: [{ createdAt: "asc" }, { id: "asc" }],
            skip: q.startIndex - 1,
            take: q.count,
          });
    const resources: ScimGroupResource[] = [];
    for (const g of rows) resources.push(await resource(tx, g, base));
    return {
      schemas: [SCHEMA.list],
      totalResults: total,
      startIndex: q.startIndex,
      itemsPerPage: resources.length,
      Resources: resources,
    };
  });
}

/** The group filters we answer: displayName eq and externalId eq (from the user filter's grammar). */
export function groupFilter(raw: string | null): GroupFilter | null {
  if (raw === null) return null;
  const m = /^\s*(displayName|externalId)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(raw);
  if (!m) {
    throw new ScimError(
      "bad_request",
      'Unsupported filter: only displayName eq "…" and externalId eq "…" are supported',
      "invalidFilter",
    );
  }
  let value: string;
  try {
    value = JSON.parse(`"${m[2]!}"`) as string;
  } catch {
    throw new ScimError("bad_request", "The filter's value is not a valid string", "invalidFilter");
  }
  return { attribute: m[1]!.toLowerCase() === "displayname" ? "displayName" : "externalId", value };
}

type MemberChange = {
  displayName?: string;
  externalId?: string | null;
  set?: string[];
  add?: string[];
  remove?: string[];
};

export async function replaceScimGroup(ctx: OrgContext, id: string, input: ScimGroupInput, base: string) {
  return changeGroup(
    ctx,
    id,
    async (tx) => ({
      displayName: input.displayName,
      externalId: input.externalId ?? null,
      set: await checkedMembers(tx, input.members ?? []),
    }),
    base,
  );
}

export const scimGroupPatchSchema = z.object({
  schemas: z.array(z.string()).refine((s) => s.includes(SCHEMA.patch), `schemas must include ${SCHEMA.patch}`),
  Operations: z
    .array(
      z.object({
        op: z.string().regex(/^(add|replace|remove)$/i, "op must be add, replace or remove"),
        path: z.string().max(300).optional(),
        value: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(100),
});

function refsOf(value: unknown): { value: string }[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.map((v) => {
    const r = memberRef.safeParse(v);
    if (!r.success) throw new ScimError("bad_request", "members must be [{ value: <user id> }]", "invalidValue");
    return r.data;
  });
}

export async function patchScimGroup(
  ctx: OrgContext,
  id: string,
  ops: z.infer<typeof scimGroupPatchSchema>["Operations"],
  base: string,
) {
  return changeGroup(
    ctx,
    id,
    async (tx) => {
      const out: MemberChange = {};
      for (const op of ops) {
        const kind = op.op.toLowerCase();
        const path = op.path?.trim();
        const filtered = path ? /^members\[\s*value\s+eq\s+"([^"]+)"\s*\]$/i.exec(path) : null;
        if (!path && kind !== "remove" && op.value && typeof op.value === "object" && !Array.isArray(op.value)) {
          const v = op.value as Record<string, unknown>;
          if (typeof v.displayName === "string") out.displayName = v.displayName.trim().slice(0, 200);
          if ("externalId" in v) out.externalId = typeof v.externalId === "string" ? v.externalId.slice(0, 500) : null;
          if ("members" in v) {
            const ids = await checkedMembers(tx, refsOf(v.members));
            if (kind === "replace") out.set = ids;
            else out.add = [...(out.add ?? []), ...ids];
          }
        } else if (path?.toLowerCase() === "displayname" && kind !== "remove" && typeof op.value === "string") {
          out.displayName = op.value.trim().slice(0, 200);
        } else if (path?.toLowerCase() === "externalid") {
          out.externalId = kind === "remove" || typeof op.value !== "string" ? null : op.value.slice(0, 500);
        } else if (path?.toLowerCase() === "members") {
          if (kind === "remove") {
            if (op.value === undefined) out.set = [];
            else out.remove = [...(out.remove ?? []), ...refsOf(op.value).map((r) => r.value)];
          } else {
            const ids = await checkedMembers(tx, refsOf(op.value));
            if (kind === "replace") out.set = ids;
            else out.add = [...(out.add ?? []), ...ids];
          }
        } else if (filtered && kind === "remove") {
          out.remove = [...(out.remove ?? []), filtered[1]!];
        } else {
          throw new ScimError("bad_request", `Unsupported patch of ${path ?? "the group"}`, "invalidPath");
        }
      }
      if (out.displayName === "") throw new ScimError("bad_request", "displayName cannot be empty", "invalidValue");
      return out;
    },
    base,
  );
}

async function changeGroup(
  ctx: OrgContext,
  id: string,
  plan: (tx: Tx) => Promise<MemberChange>,
  base: string,
): Promise<ScimGroupResource> {
  return withTenant(tenantOf(ctx), async (tx) => {
    const g = await load(tx, ctx.org.id, id);
    const change = await plan(tx);
    const before = new Set(
      (await tx.scimGroupMember.findMany({ where: { groupId: id }, select: { userId: true } })).map((m) => m.userId),
    );
    const after = new Set(change.set ?? before);
    for (const u of change.add ?? []) after.add(u);
    for (const u of change.remove ?? []) after.delete(u);
    const added = [...after].filter((u) => !before.has(u));
    const removed = [...before].filter((u) => !after.has(u));
    if (change.displayName !== undefined && change.displayName !== g.displayName) {
      const clash = await tx.scimGroup.findUnique({
        where: { orgId_displayName: { orgId: ctx.org.id, displayName: change.displayName } },
      });
      if (clash) throw new ScimError("conflict", "A group with this displayName already exists", "uniqueness");
    }
    const renamed = change.displayName !== undefined && change.displayName !== g.displayName;
    const updated = await tx.scimGroup.update({
      where: { orgId_id: { orgId: ctx.org.id, id } },
      data: {
        displayName: change.displayName ?? g.displayName,
        externalId: change.externalId !== undefined ? change.externalId : g.externalId,
        version: { increment: 1 },
        updatedAt: new Date(),
      },
    });
    if (removed.length) await tx.scimGroupMember.deleteMany({ where: { groupId: id, userId: { in: removed } } });
    if (added.length) {
      await tx.scimGroupMember.createMany({
        data: added.map((userId) => ({ orgId: ctx.org.id, groupId: id, userId })),
      });
    }
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "scim.group_updated",
      target: { type: "scim_group", id },
      ip: ctx.ip,
      data: {
        display_name: updated.displayName,
        ...(renamed ? { renamed_from: g.displayName } : {}),
        members_added: added,
        members_removed: removed,
      },
    });
    // A renamed group may match another entry of the map: everyone in it is re-evaluated.
    await syncRoles(tx, ctx, renamed ? [...new Set([...after, ...removed])] : [...added, ...removed]);
    return resource(tx, updated, base);
  });
}

export async function deleteScimGroup(ctx: OrgContext, id: string): Promise<void> {
  await withTenant(tenantOf(ctx), async (tx) => {
    const g = await load(tx, ctx.org.id, id);
    const members = (await tx.scimGroupMember.findMany({ where: { groupId: id }, select: { userId: true } })).map(
      (m) => m.userId,
    );
    await tx.scimGroup.delete({ where: { orgId_id: { orgId: ctx.org.id, id } } });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "scim.group_deleted",
      target: { type: "scim_group", id },
      ip: ctx.ip,
      data: { display_name: g.displayName, members_removed: members },
    });
    await syncRoles(tx, ctx, members);
  });
}

/**
 * Brings each person's role in line with their groups, in the caller's
 * transaction (the group change and the role change commit together).
 */
export async function syncRoles(tx: Tx, ctx: OrgContext, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  const c = await tx.ssoConnection.findFirst({
    where: { enabled: true },
    select: { id: true, groupRoles: true, defaultRole: true },
  });
  const map = (c?.groupRoles ?? []) as GroupRole[];
  const fallback = SELF_SERVE.has((c?.defaultRole ?? "viewer") as Role)
    ? ((c?.defaultRole ?? "viewer") as Role)
    : "viewer";
  for (const userId of [...new Set(userIds)]) {
    const m = await tx.membership.findUnique({ where: { orgId_userId: { orgId: ctx.org.id, userId } } });
    if (!m) continue; // deactivated: no membership to change
    const groups = (
      await tx.$queryRaw<{ display_name: string }[]>`
        SELECT g.display_name FROM scim_group_members m JOIN scim_groups g ON g.org_id = m.org_id AND g.id = m.group_id
        WHERE m.user_id = ${userId}::uuid`
    ).map((r) => r.display_name);
    const target = mappedRole(map, fallback, groups);
    const current = m.role as Role;
    const email = (await tx.scimUser.findUnique({ where: { orgId_userId: { orgId: ctx.org.id, userId } } }))?.userName;
    if (!SELF_SERVE.has(target) && RANK[target] > RANK[current]) {
      if (!c) continue;
      const existing = await tx.ssoRoleRequest.findUnique({ where: { orgId_userId: { orgId: ctx.org.id, userId } } });
      if (existing?.role === target) continue;
      await tx.ssoRoleRequest.upsert({
        where: { orgId_userId: { orgId: ctx.org.id, userId } },
        create: { orgId: ctx.org.id, userId, connectionId: c.id, role: target, groups: groups.slice(0, 100) },
        update: { connectionId: c.id, role: target, groups: groups.slice(0, 100), createdAt: new Date() },
      });
      await appendAuditEvent(tx, {
        orgId: ctx.org.id,
        actor: actorOf(ctx),
        action: "sso.role_requested",
        target: { type: "user", id: userId },
        ip: ctx.ip,
        data: { email, role: target, current_role: current, groups: groups.slice(0, 100), via: "scim" },
      });
      continue;
    }
    // No longer mapped to a role that waits for confirmation: a waiting request goes.
    await tx.ssoRoleRequest.deleteMany({ where: { userId, role: { not: target } } });
    if (target === current) continue;
    // Admin and approver are granted by a person, so only a person (or deactivation) takes them away.
    if (!SELF_SERVE.has(current)) continue;
    await tx.membership.update({ where: { id: m.id }, data: { role: target, updatedAt: new Date() } });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "member.role_changed",
      target: { type: "user", id: userId },
      ip: ctx.ip,
      data: { email, from: current, to: target, via: "scim", groups: groups.slice(0, 100) },
    });
  }
}
