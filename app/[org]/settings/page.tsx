import type { Metadata } from "next";
import { SettingsForm } from "@/components/settings/settings-form";
import { PageHeader, TabLinks } from "@/components/ui";
import { getOrgSettings } from "@/lib/orgs/settings";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "org:admin");
  const settings = await getOrgSettings(ctx);
  return (
    <>
      <PageHeader
        title="Settings"
        description="Organization-wide settings. Only admins see this page; every change is audited."
      />
      <TabLinks
        label="Settings sections"
        items={[
          { href: `/${ctx.org.slug}/settings`, label: "Organization", active: true },
          { href: `/${ctx.org.slug}/settings/sso`, label: "Single sign-on", active: false },
        ]}
      />
      <SettingsForm org={ctx.org.slug} settings={settings} />
    </>
  );
}
