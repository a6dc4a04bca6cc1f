import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AgentEditor } from "@/components/agents/agent-editor";
import { Badge, Card, DetailList, PageHeader, formatUtc } from "@/components/ui";
import { getAgent, type AgentView } from "@/lib/agents/agents";
import { agentParamsSchema } from "@/lib/agents/schemas";
import { AppError } from "@/lib/errors";
import { listApiKeys } from "@/lib/keys/list-api-keys";
import { can } from "@/lib/rbac/context";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Agent" };

const LISTS = [
  { name: "allowed", label: "Allowed" },
  { name: "require_approval", label: "Require approval" },
  { name: "denied", label: "Denied" },
] as const;

function RegistryView({ agent }: { agent: AgentView }) {
  return (
    <div className="space-y-4">
      {(["production", "development"] as const).map((env) => (
        <section key={env} aria-label={`${env} tool registry`}>
          <h3 className="flex items-center gap-2 text-sm font-semibold text-slate-900">
            <span className="capitalize">{env}</span>
            {env === agent.environment && <Badge tone="violet">in force</Badge>}
          </h3>
          <dl className="mt-2 grid gap-3 text-sm md:grid-cols-3">
            {LISTS.map((l) => (
              <div key={l.name}>
                <dt className="text-xs font-medium uppercase text-slate-500">{l.label}</dt>
                <dd className="mt-1 flex flex-wrap gap-1">
                  {agent.tools_by_environment[env][l.name].length === 0 ? (
                    <span className="text-xs text-slate-400">none</span>
                  ) : (
                    agent.tools_by_environment[env][l.name].map((t) => (
                      <code key={t} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs">
                        {t}
                      </code>
                    ))
                  )}
                </dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
    </div>
  );
}

export default async function AgentPage({ params }: { params: Promise<{ org: string; slug: string }> }) {
  const { org, slug } = await params;
  const ctx = await requireOrgPage(org, "agents:read");
  const parsed = agentParamsSchema.safeParse({ slug });
  if (!parsed.success) notFound();
  const agent = await getAgent(ctx, parsed.data.slug).catch((e: unknown) => {
    if (e instanceof AppError && e.code === "not_found") notFound();
    throw e;
  });
  const keys = can(ctx, "keys:read") ? (await listApiKeys(ctx)).filter((k) => k.agent_id === agent.id) : null;
  const base = `/${ctx.org.slug}`;

  return (
    <>
      <p className="mb-2 text-sm">
        <Link href={`${base}/agents`} className="text-slate-600 underline">
          ← Agents
        </Link>
      </p>
      <PageHeader
        title={agent.name}
        description={
          <>
            <span className="font-mono">{agent.slug}</span> · {agent.environment} · created{" "}
            {formatUtc(agent.created_at)}
          </>
        }
        actions={
          <div className="flex items-center gap-3">
            {agent.disabled ? <Badge tone="red">Disabled</Badge> : <Badge tone="green">Active</Badge>}
            {can(ctx, "actions:read") && (
              <Link href={`${base}/actions?agent=${agent.slug}`} className="text-sm font-medium underline">
                Its actions
              </Link>
            )}
          </div>
        }
      />
      <div className="space-y-6">
        <Card title="Configuration">
          <DetailList
            items={[
              { label: "Environment", value: agent.environment },
              {
                label: "Rate limit",
                value: agent.rate_limit_per_minute ? `${agent.rate_limit_per_minute} actions per minute` : "none",
              },
              { label: "Daily budget", value: agent.daily_budget ? `${agent.daily_budget} actions per day` : "none" },
              { label: "Last changed", value: formatUtc(agent.updated_at) },
            ]}
          />
          <div className="mt-4">
            <RegistryView agent={agent} />
          </div>
        </Card>
        {keys && (
          <Card
            title={`API keys bound to this agent (${keys.length})`}
            actions={
              can(ctx, "keys:write") ? (
                <Link href={`${base}/keys?agent=${agent.id}`} className="text-sm font-medium underline">
                  Create a key for it
                </Link>
              ) : undefined
            }
          >
            {keys.length === 0 ? (
              <p className="text-sm text-slate-600">None yet: the agent cannot submit actions until it has a key.</p>
            ) : (
              <ul className="divide-y divide-slate-100 text-sm">
                {keys.map((k) => (
                  <li key={k.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                    <span>
                      <span className="font-medium">{k.name}</span>{" "}
                      <span className="font-mono text-xs text-slate-500">
                        {k.prefix}…{k.last4}
                      </span>
                    </span>
                    <span className="flex gap-2">
                      <Badge tone={k.environment === "live" ? "violet" : "blue"}>{k.environment}</Badge>
                      <Badge tone={k.status === "active" ? "green" : k.status === "revoked" ? "red" : "amber"}>
                        {k.status.replace("_", " ")}
                      </Badge>
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        )}
        {can(ctx, "agents:write") && <AgentEditor org={ctx.org.slug} agent={agent} />}
      </div>
    </>
  );
}
