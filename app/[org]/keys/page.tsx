import type { Metadata } from "next";
import { KeysManager } from "@/components/keys/keys-manager";
import { PageHeader } from "@/components/ui";
import { listAgents } from "@/lib/agents/agents";
import { listApiKeys } from "@/lib/keys/list-api-keys";
import { can } from "@/lib/rbac/context";
import { requireOrgPage } from "@/lib/http/page";
import { PERMISSIONS } from "@/lib/rbac/permissions";

export const metadata: Metadata = { title: "API keys" };

export default async function KeysPage({
  params,
  searchParams,
}: {
  params: Promise<{ org: string }>;
  searchParams: Promise<{ agent?: string }>;
}) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "keys:read");
  const keys = await listApiKeys(ctx);
  const agents = can(ctx, "agents:read") ? await listAgents(ctx) : [];
  const { agent } = await searchParams;
  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys let agents and scripts call Warden's API. A key can hold only scopes you hold yourself; its secret is shown once."
      />
      <KeysManager
        org={ctx.org.slug}
        keys={keys}
        canWrite={can(ctx, "keys:write")}
        canEmergencyRevoke={can(ctx, "org:admin")}
        grantableScopes={PERMISSIONS.filter((p) => ctx.permissions.has(p))}
        agents={agents.map((a) => ({
          id: a.id,
          slug: a.slug,
          name: a.name,
          environment: a.environment,
          disabled: a.disabled,
        }))}
        initialAgentId={agent}
      />
    </>
  );
}
