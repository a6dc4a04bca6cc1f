import type { Metadata } from "next";
import { MfaPolicyForm, type MfaPolicy } from "@/components/settings/mfa-policy-form";
import { SettingsForm } from "@/components/settings/settings-form";
import { PageHeader, TabLinks } from "@/components/ui";
import { getMfaPolicy } from "@/lib/auth/org-mfa-policy";
import { listMembers } from "@/lib/members/list-members";
import { getOrgSettings } from "@/lib/orgs/settings";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "org:admin");
  const [settings, policy, members] = await Promise.all([getOrgSettings(ctx), getMfaPolicy(ctx), listMembers(ctx)]);
  const withoutFactor = members.filter((m) => m.factors && !m.factors.totp && m.factors.passkeys === 0).length;
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
      <div className="space-y-6">
        <MfaPolicyForm
          org={ctx.org.slug}
          policy={{ ...policy, grace_until: policy.grace_until?.toISOString() ?? null } as MfaPolicy}
          membersWithoutFactor={withoutFactor}
        />
        <SettingsForm org={ctx.org.slug} settings={settings} />
      </div>
    </>
  );
}
