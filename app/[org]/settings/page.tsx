import type { Metadata } from "next";
import { SettingsForm } from "@/components/settings/settings-form";
import { PageHeader } from "@/components/ui";
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
      <SettingsForm org={ctx.org.slug} settings={settings} />
    </>
  );
}
