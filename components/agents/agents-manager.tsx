"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { AgentView } from "@/lib/agents/agents";
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
        {agents.length === 0 ? (
          <p className="text-sm text-slate-600">
            No agents yet.{canWrite ? " Create one, then give it an API key bound to it." : " An admin registers them."}
          </p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm" data-testid="agents-table">
              <thead className="text-xs uppercase text-slate-500">
                <tr>
                  <th className="py-2 pr-4 font-medium">Agent</th>
                  <th className="py-2 pr-4 font-medium">Environment</th>
                  <th className="py-2 pr-4 font-medium">Tools in force</th>
                  <th className="py-2 pr-4 font-medium">Limits</th>
                  <th className="py-2 font-medium">Status</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {agents.map((a) => (
                  <tr key={a.id} data-testid={`agent-${a.slug}`} className="align-top">
                    <td className="py-3 pr-4">
                      <Link
                        href={`/${org}/agents/${a.slug}`}
                        className="font-mono font-medium text-slate-900 underline"
                      >
                        {a.slug}
                      </Link>
                      <div className="text-slate-500">{a.name}</div>
                    </td>
                    <td className="py-3 pr-4">
                      <Badge tone={a.environment === "production" ? "violet" : "blue"}>{a.environment}</Badge>
                    </td>
                    <td className="py-3 pr-4 text-xs text-slate-600">{counts(a)}</td>
                    <td className="py-3 pr-4 text-xs text-slate-600">
                      <div>{a.rate_limit_per_minute ? `${a.rate_limit_per_minute}/min` : "no per-minute limit"}</div>
                      <div>{a.daily_budget ? `${a.daily_budget}/day` : "no daily budget"}</div>
                    </td>
                    <td className="py-3">
                      {a.disabled ? <Badge tone="red">Disabled</Badge> : <Badge tone="green">Active</Badge>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
