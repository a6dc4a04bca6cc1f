"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { PolicyVersionView } from "@/lib/policy/versions";
import { Alert, Badge, Button, Card, cx, formatUtc } from "../ui";
import { Table } from "../table";
import { PublishDialog } from "./publish-dialog";

export function VersionHistory({
  org,
  versions,
  selected,
  canWrite,
}: {
  org: string;
  versions: PolicyVersionView[];
  selected: number | null;
  canWrite: boolean;
}) {
  const router = useRouter();
  const [target, setTarget] = useState<PolicyVersionView | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const active = versions.find((v) => v.active) ?? null;

  return (
    <Card title="Version history">
      {notice && (
        <div className="mb-3">
          <Alert tone="green" role="status">
            {notice}
          </Alert>
        </div>
      )}
      <Table
        rows={versions}
        rowKey={(v) => v.id}
        rowProps={(v) => ({
          "data-testid": `policy-version-${v.version}`,
          className: cx(v.version === selected && "bg-slate-50"),
        })}
        label="Policy versions"
        testId="policy-versions"
        columns={[
          {
            header: "Version",
            cell: (v) => (
              <>
                <span className="font-semibold">v{v.version}</span>
                <div className="text-xs text-slate-500">
                  {v.rule_count} rule{v.rule_count === 1 ? "" : "s"}
                  {v.description ? ` · ${v.description}` : ""}
                </div>
              </>
            ),
          },
          {
            header: "State",
            cell: (v) =>
              v.active ? (
                <Badge tone="green">active</Badge>
              ) : v.status === "draft" ? (
                <Badge tone="amber">draft</Badge>
              ) : (
                <Badge>published</Badge>
              ),
          },
          {
            header: "Saved",
            className: "text-xs text-slate-600",
            cell: (v) => (
              <>
                {formatUtc(v.created_at)}
                <div>by {v.created_by ?? "system"}</div>
              </>
            ),
          },
          {
            header: "Published",
            className: "text-xs text-slate-600",
            cell: (v) =>
              v.published_at ? (
                <>
                  {formatUtc(v.published_at)}
                  <div>by {v.published_by ?? "system"}</div>
                </>
              ) : (
                "—"
              ),
          },
          {
            header: "Actions",
            align: "right",
            className: "sm:whitespace-nowrap",
            cell: (v) => (
              <>
                <Link
                  href={`/${org}/policies?version=${v.version}`}
                  className="px-2 text-sm font-medium underline"
                  aria-label={`${canWrite ? "Open" : "View"} v${v.version}`}
                >
                  {canWrite ? "Open in editor" : "View"}
                </Link>
                {canWrite && !v.active && (
                  <Button
                    variant="ghost"
                    onClick={() => setTarget(v)}
                    aria-label={`${v.status === "draft" ? "Publish" : "Re-activate"} v${v.version}`}
                  >
                    {v.status === "draft" ? "Publish" : "Re-activate"}
                  </Button>
                )}
              </>
            ),
          },
        ]}
      />
      {target && (
        <PublishDialog
          org={org}
          target={target}
          active={active}
          onCancel={() => setTarget(null)}
          onDone={(view) => {
            setTarget(null);
            setNotice(`v${view.version} is now the active policy.`);
            router.refresh();
          }}
        />
      )}
    </Card>
  );
}
