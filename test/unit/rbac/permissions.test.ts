import { describe, expect, it } from "vitest";
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES, permissionsOf, roleHas, type Role } from "@/lib/rbac/permissions";

const subset = (a: Role, b: Role) => [...ROLE_PERMISSIONS[a]].every((p) => ROLE_PERMISSIONS[b].has(p));

describe("role hierarchy", () => {
  it("admin ⊇ approver ⊇ viewer and admin ⊇ auditor ⊇ viewer", () => {
    expect(subset("viewer", "approver")).toBe(true);
    expect(subset("approver", "admin")).toBe(true);
    expect(subset("viewer", "auditor")).toBe(true);
    expect(subset("auditor", "admin")).toBe(true);
  });

  it("approver and auditor are not comparable", () => {
    expect(subset("approver", "auditor")).toBe(false);
    expect(subset("auditor", "approver")).toBe(false);
  });

  it("admin holds every permission", () => {
    expect(permissionsOf("admin")).toEqual([...PERMISSIONS]);
  });

  it.each([
    ["viewer", "dashboard:read", true],
    ["viewer", "members:read", false],
    ["viewer", "approvals:decide", false],
    ["approver", "approvals:decide", true],
    ["approver", "audit:read", false],
    ["auditor", "audit:export", true],
    ["auditor", "approvals:read", false],
    ["auditor", "keys:read", false],
    ["auditor", "security:read", true],
    ["approver", "security:read", false],
    ["viewer", "security:read", false],
    ["admin", "org:admin", true],
  ] as const)("%s has %s: %s", (role, perm, expected) => {
    expect(roleHas(role, perm)).toBe(expected);
  });

  it("every role maps only to known permissions", () => {
    for (const r of ROLES) for (const p of ROLE_PERMISSIONS[r]) expect(PERMISSIONS).toContain(p);
  });
});
