import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge, Card, PageHeader, formatUtc } from "@/components/ui";
import { getAuditEvent } from "@/lib/audit/get-event";
import { AppError } from "@/lib/errors";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Audit event" };

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-1 py-2 sm:grid-cols-4">
      <dt className="text-sm font-medium text-slate-600">{label}</dt>
      <dd className="text-sm text-slate-900 sm:col-span-3">{children}</dd>
    </div>
  );
}

export default async function AuditEventPage({ params }: { params: Promise<{ org: string; seq: string }> }) {
  const { org, seq } = await params;
  const ctx = await requireOrgPage(org, "audit:read");
  if (!/^[1-9]\d{0,14}$/.test(seq)) notFound();
  const e = await getAuditEvent(ctx, Number(seq)).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "not_found") notFound();
    throw err;
  });
  const base = `/${ctx.org.slug}/audit`;
  const ev = e.event;

  return (
    <>
      <PageHeader
        title={`Event #${e.seq}`}
        description={<span className="font-mono">{ev.action}</span>}
        actions={
          <div className="flex gap-3 text-sm">
            {e.seq > 1 && (
              <Link className="underline" href={`${base}/events/${e.seq - 1}`}>
                ← #{e.seq - 1}
              </Link>
            )}
            <Link className="underline" href={`${base}/events/${e.seq + 1}`}>
              #{e.seq + 1} →
            </Link>
            <Link className="underline" href={base}>
              Back to the trail
            </Link>
          </div>
        }
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Event">
          <dl className="divide-y divide-slate-100">
            <Row label="When (UTC)">
              <time dateTime={ev.occurred_at}>{formatUtc(ev.occurred_at)}</time>
            </Row>
            <Row label="Actor">
              {ev.actor.type} {e.actor_label ?? ev.actor.id ?? ""}
              {ev.actor.id && <div className="font-mono text-xs text-slate-500">{ev.actor.id}</div>}
            </Row>
            <Row label="Target">
              {ev.target.type === "action" && ev.target.id ? (
                <Link className="font-mono underline" href={`${base}/actions/${ev.target.id}`}>
                  action {ev.target.id}
                </Link>
              ) : (
                <span className="font-mono">
                  {ev.target.type ?? "—"} {ev.target.id ?? ""}
                </span>
              )}
            </Row>
            <Row label="Address">{ev.ip ?? "—"}</Row>
            <Row label="Event id">
              <span className="font-mono text-xs">{ev.id}</span>
            </Row>
            <Row label="Request id">
              {e.request_id ? (
                <span className="font-mono text-xs" data-testid="event-request-id">
                  {e.request_id}
                </span>
              ) : (
                <span className="text-slate-500">— (not written by an HTTP request)</span>
              )}
              <div className="mt-1 text-xs text-slate-500">
                The request_id of the request&apos;s response and log lines; recorded beside the event, not part of its
                hash.
              </div>
            </Row>
          </dl>
        </Card>
        <Card title="Integrity">
          <dl className="divide-y divide-slate-100">
            <Row label="Hash">
              <span className="font-mono text-xs break-all" data-testid="event-hash">
                {e.hash}
              </span>
            </Row>
            <Row label="Recomputed">
              <span className="font-mono text-xs break-all">{e.recomputed_hash}</span>
              <div className="mt-1">
                {e.hash_matches ? (
                  <Badge tone="green">matches: content unchanged</Badge>
                ) : (
                  <Badge tone="red">differs: this event was edited</Badge>
                )}
              </div>
            </Row>
            <Row label="Previous hash">
              <span className="font-mono text-xs break-all">{e.prev_hash}</span>
              <div className="mt-1">
                {e.linked ? (
                  <Badge tone="green">{e.seq === 1 ? "the genesis hash: first event" : `links to #${e.seq - 1}`}</Badge>
                ) : (
                  <Badge tone="red">does not link to the previous event</Badge>
                )}
              </div>
            </Row>
            <Row label="Inclusion">
              {e.inclusion ? (
                <>
                  Leaf {e.inclusion.leaf_index} of checkpoint #{e.inclusion.checkpoint.tree_size} (
                  {formatUtc(e.inclusion.checkpoint.timestamp)}, key {e.inclusion.checkpoint.key_id}):{" "}
                  {e.inclusion.leads_to_root ? (
                    <Badge tone="green">proof leads to its root</Badge>
                  ) : (
                    <Badge tone="red">proof does not lead to its root</Badge>
                  )}
                  <ol className="mt-2 list-decimal pl-5 font-mono text-xs text-slate-600">
                    {e.inclusion.audit_path.map((h, i) => (
                      <li key={i} className="break-all">
                        {h}
                      </li>
                    ))}
                  </ol>
                </>
              ) : (
                "No checkpoint covers this event yet."
              )}
            </Row>
          </dl>
        </Card>
      </div>
      <Card title="Canonical JSON (the exact bytes hashed after the previous hash)" className="mt-6">
        <pre
          className="overflow-x-auto rounded bg-slate-50 p-3 font-mono text-xs whitespace-pre-wrap break-all"
          data-testid="canonical-json"
        >
          {e.canonical}
        </pre>
        <p className="mt-2 text-xs text-slate-500">
          hash = SHA-256(previous hash bytes ‖ these UTF-8 bytes), RFC 8785 canonical JSON.
        </p>
      </Card>
    </>
  );
}
