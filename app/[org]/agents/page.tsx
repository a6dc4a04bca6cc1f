import type { Metadata } from "next";
import { AgentsManager } from "@/components/agents/agents-manager";
import { PageHeader } from "@/components/ui";
import { listAgents } from "@/lib/agents/agents";
import { can } from "@/lib/rbac/context";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Agents" };

export default async function AgentsPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "agents:read");
  const agents = await listAgents(ctx);
  return (
    <>
      <PageHeader
        title="Agents"
        description="The AI agents that act through Warden. Each has a tool registry per environment, checked before the policy."
      />
      <AgentsManager org={ctx.org.slug} agents={agents} canWrite={can(ctx, "agents:write")} />
    </>
  );
}
