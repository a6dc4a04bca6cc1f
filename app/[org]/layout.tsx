import { AppShell } from "@/components/app-shell";
import { navFor } from "@/lib/rbac/navigation";
import { currentMemberships, requireOrgPage } from "@/lib/http/page";
import { ROLE_LABEL } from "@/lib/rbac/permissions";

export default async function OrgLayout({
  children,
  params,
}: {
  children: React.ReactNode;
  params: Promise<{ org: string }>;
}) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "dashboard:read");
  const memberships = await currentMemberships(ctx.principal.user.userId);
  return (
    <AppShell
      org={{ slug: ctx.org.slug, name: ctx.org.name }}
      orgs={memberships.map((m) => ({ slug: m.org.slug, name: m.org.name }))}
      nav={navFor(ctx.org.slug, ctx.permissions)}
      user={{ email: ctx.principal.user.email, name: ctx.principal.user.name }}
      roleLabel={ROLE_LABEL[ctx.role]}
    >
      {children}
    </AppShell>
  );
}
