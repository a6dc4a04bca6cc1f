import type { Actor } from "../audit/event";
import type { OrgRef } from "../auth/principal";
import type { SessionUser } from "../auth/sessions";
import type { TenantScope } from "../db/tenant";
import { AppError } from "../errors";
import { ROLE_PERMISSIONS, type Permission, type Role } from "./permissions";

/** Who is calling. API-key principals join this union with the keys work. */
export type Principal = { kind: "user"; user: SessionUser };

/** Everything domain code needs to act for a caller inside one organization. */
export type OrgContext = {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  principal: Principal;
  org: OrgRef;
  role: Role;
  permissions: ReadonlySet<Permission>;
};

export function makeOrgContext(args: Omit<OrgContext, "permissions">): OrgContext {
  return { ...args, permissions: ROLE_PERMISSIONS[args.role] };
}

export function can(ctx: OrgContext, permission: Permission): boolean {
  return ctx.permissions.has(permission);
}

export function assertCan(ctx: OrgContext, permission: Permission): void {
  if (!can(ctx, permission)) throw new AppError("forbidden", `This requires the ${permission} permission`);
}

export function actorOf(ctx: OrgContext): Actor {
  return { type: "user", id: ctx.principal.user.userId };
}

export function tenantOf(ctx: OrgContext): TenantScope {
  return { orgId: ctx.org.id, userId: ctx.principal.user.userId };
}
