"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { AgentView } from "@/lib/agents/agents";
import { Table } from "../table";
import { Alert, Badge, Button, Card } from "../ui";
import { AgentForm } from "./agent-form";

function counts(a: AgentView) {
  return `${a.tools.allowed.length} allowed · ${a.tools.require_approval.length} need approval · ${a.tools.denied.length} denied`;
}

export function AgentsManager({ org, agents, canWrite }: { org: string; agents: AgentView[]; canWrite: boolean }) {
  const router = useRouter();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<AgentView | null>(null);

  return (
    <div className="space-y-6">
      {created && (
        <Alert tone="green" role="status">
          Agent “{created.slug}” was created.{" "}
          <Link href={`/${org}/keys?agent=${created.id}`} className="font-medium underline">
            Create an API key for it
          </Link>{" "}
          so it can submit actions.
        </Alert>
      )}
      {canWrite &&
        (creating ? (
          <Card title="New agent">
            <AgentForm
              org={org}
              onCancel={() => setCreating(false)}
              onSaved={(a) => {
                setCreated(a);
                setCreating(false);
                router.refresh();
              }}
            />
          </Card>
        ) : (
          <div>
            <Button
              onClick={() => {
                setCreated(null);
                setCreating(true);
              }}
            >
              New agent
            </Button>
          </div>
        ))}

      <Card title={`${agents.length} agent${agents.length === 1 ? "" : "s"}`}>
        <Table
          rows={agents}
          rowKey={(a) => a.id}
          rowProps={(a) => ({ "data-testid": `agent-${a.slug}` })}
          label="Agents"
          testId="agents-table"
          empty={
            <p>
              No agents yet.
              {canWrite ? " Create one, then give it an API key bound to it." : " An admin registers them."}
            </p>
          }
          columns={[
            {
              header: "Agent",
              cell: (a) => (
                <>
                  <Link
                    href={`/${org}/agents/${a.slug}`}
                    className="font-mono font-medium break-all text-slate-900 underline"
                  >
                    {a.slug}
                  </Link>
                  <div className="text-slate-500">{a.name}</div>
                </>
              ),
            },
            {
              header: "Environment",
              cell: (a) => <Badge tone={a.environment === "production" ? "violet" : "blue"}>{a.environment}</Badge>,
            },
            { header: "Tools in force", className: "text-xs text-slate-600", cell: (a) => counts(a) },
            {
              header: "Limits",
              className: "text-xs text-slate-600",
              cell: (a) => (
                <>
                  <div>{a.rate_limit_per_minute ? `${a.rate_limit_per_minute}/min` : "no per-minute limit"}</div>
                  <div>{a.daily_budget ? `${a.daily_budget}/day` : "no daily budget"}</div>
                </>
              ),
            },
            {
              header: "Status",
              cell: (a) => (a.disabled ? <Badge tone="red">Disabled</Badge> : <Badge tone="green">Active</Badge>),
            },
          ]}
        />
      </Card>
    </div>
  );
}
