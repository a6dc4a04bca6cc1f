/**
 * The one permission list. Roles map to permissions here and nowhere else;
 * API-key scopes are the same strings.
 *
 * Hierarchy: admin ⊇ approver ⊇ viewer; admin ⊇ auditor ⊇ viewer.
 */
export const PERMISSIONS = [
  "dashboard:read",
  "actions:read",
  "agents:read",
  "policies:read",
  "approvals:read",
  "approvals:decide",
  "audit:read",
  "audit:export",
  "keys:read",
  "keys:write",
  "agents:write",
  "policies:write",
  "alerts:read",
  "alerts:write",
  "members:read",
  "members:write",
  "org:admin",
  "actions:submit",
  "security:read",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ["admin", "approver", "auditor", "viewer"] as const;
export type Role = (typeof ROLES)[number];

const VIEWER: readonly Permission[] = ["dashboard:read", "actions:read", "agents:read", "policies:read"];
const APPROVER: readonly Permission[] = [...VIEWER, "approvals:read", "approvals:decide"];
const AUDITOR: readonly Permission[] = [...VIEWER, "audit:read", "audit:export", "security:read"];
const ADMIN: readonly Permission[] = PERMISSIONS;

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(VIEWER),
  approver: new Set(APPROVER),
  auditor: new Set(AUDITOR),
  admin: new Set(ADMIN),
};

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === "string" && (PERMISSIONS as readonly string[]).includes(value);
}

export function roleHas(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/**
 * What a grant made by a person is worth now: the granted permissions that
 * person's current role still holds (usable), and the rest (suspended).
 */
export function scopesWithinRole(
  granted: readonly string[],
  role: Role,
): { usable: Permission[]; suspended: Permission[] } {
  const known = granted.filter(isPermission);
  return { usable: known.filter((p) => roleHas(role, p)), suspended: known.filter((p) => !roleHas(role, p)) };
}

export function permissionsOf(role: Role): Permission[] {
  return PERMISSIONS.filter((p) => ROLE_PERMISSIONS[role].has(p));
}

export const ROLE_LABEL: Record<Role, string> = {
  admin: "Admin",
  approver: "Approver",
  auditor: "Auditor",
  viewer: "Viewer",
};
