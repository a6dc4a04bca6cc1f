import type { Permission } from "./permissions";

/**
 * The dashboard's sections and the permission each needs. The navigation
 * shows a section only when it exists and the role may use it; the page
 * itself enforces the same permission with requireOrgPage(). The approval
 * queue comes first after the overview: it is the one page where people are
 * waited on.
 */
export const SECTIONS: { path: string; label: string; permission: Permission }[] = [
  { path: "", label: "Overview", permission: "dashboard:read" },
  { path: "/approvals", label: "Approvals", permission: "approvals:read" },
  { path: "/actions", label: "Actions", permission: "actions:read" },
  { path: "/agents", label: "Agents", permission: "agents:read" },
  { path: "/policies", label: "Policies", permission: "policies:read" },
  { path: "/keys", label: "API keys", permission: "keys:read" },
  { path: "/audit", label: "Audit", permission: "audit:read" },
  { path: "/alerts", label: "Alerts", permission: "alerts:read" },
  { path: "/members", label: "Members", permission: "members:read" },
  { path: "/security", label: "Security", permission: "security:read" },
  { path: "/settings", label: "Settings", permission: "org:admin" },
];

export function navFor(slug: string, permissions: ReadonlySet<Permission>) {
  return SECTIONS.filter((s) => permissions.has(s.permission)).map((s) => ({
    href: `/${slug}${s.path}`,
    label: s.label,
  }));
}
