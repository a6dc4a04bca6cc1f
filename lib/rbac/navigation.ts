import type { Permission } from "./permissions";

/**
 * The dashboard's sections and the permission each needs. The navigation
 * shows a section only when it exists and the role may use it; the page
 * itself enforces the same permission with requireOrgPage().
 */
export const SECTIONS: { path: string; label: string; permission: Permission }[] = [
  { path: "", label: "Overview", permission: "dashboard:read" },
  { path: "/members", label: "Members", permission: "members:read" },
  { path: "/keys", label: "API keys", permission: "keys:read" },
  { path: "/audit", label: "Audit", permission: "audit:read" },
];

export function navFor(slug: string, permissions: ReadonlySet<Permission>) {
  return SECTIONS.filter((s) => permissions.has(s.permission)).map((s) => ({ href: `/${slug}${s.path}`, label: s.label }));
}
