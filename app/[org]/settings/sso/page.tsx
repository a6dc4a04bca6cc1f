import type { Metadata } from "next";
import { headers } from "next/headers";
import { ScimTokensCard } from "@/components/settings/scim-tokens";
import { SsoSettings } from "@/components/settings/sso-settings";
import { PageHeader, TabLinks } from "@/components/ui";
import { env } from "@/lib/env";
import { requireOrgPage } from "@/lib/http/page";
import { listConnections } from "@/lib/sso/connections";
import { listDomains } from "@/lib/sso/domains";
import { getEnforcement } from "@/lib/sso/enforcement";
import { ssoErrorMessage } from "@/lib/sso/messages";
import { listRoleRequests } from "@/lib/sso/role-requests";
import { listScimTokens } from "@/lib/sso/scim-tokens";

export const metadata: Metadata = { title: "Single sign-on" };

export default async function SsoSettingsPage({
  params,
  searchParams,
}: {
  params: Promise<{ org: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { org } = await params;
  const sp = await searchParams;
  const ctx = await requireOrgPage(org, "org:admin");
  const [connections, domains, roleRequests, enforcement, scimTokens] = await Promise.all([
    listConnections(ctx),
    listDomains(ctx),
    listRoleRequests(ctx),
    getEnforcement(ctx),
    listScimTokens(ctx),
  ]);
  const configured = env().NEXTAUTH_URL;
  const origin = configured ? new URL(configured).origin : `http://${(await headers()).get("host") ?? "localhost"}`;
  const tested = typeof sp.tested === "string" ? sp.tested : null;
  const testError = ssoErrorMessage(typeof sp.test_error === "string" ? sp.test_error : null);
  return (
    <>
      <PageHeader
        title="Settings"
        description="Single sign-on: your identity provider signs your people in; Warden creates their accounts on first sign-in. Every change is audited."
      />
      <TabLinks
        label="Settings sections"
        items={[
          { href: `/${ctx.org.slug}/settings`, label: "Organization", active: false },
          { href: `/${ctx.org.slug}/settings/sso`, label: "Single sign-on", active: true },
        ]}
      />
      <SsoSettings
        org={ctx.org.slug}
        connections={connections}
        domains={domains}
        roleRequests={roleRequests}
        testedId={tested}
        testError={testError ?? null}
        origin={origin}
        enforcement={enforcement}
      />
      <div className="mt-6">
        <ScimTokensCard org={ctx.org.slug} origin={origin} tokens={scimTokens} />
      </div>
    </>
  );
}
