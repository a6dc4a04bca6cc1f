import type { Metadata } from "next";
import Link from "next/link";
import { AUDIT_EVENT_FILTERS } from "@/lib/audit/event-names";
import { CheckpointButton } from "@/components/audit/checkpoint-button";
import { ConsistencyProver } from "@/components/audit/consistency-prover";
import { ExportForm } from "@/components/audit/export-form";
import { listExportRequests } from "@/lib/exports/requests";
import { VerificationBadge } from "@/components/audit/verification-badge";
import { Table } from "@/components/table";
import { Alert, Badge, Card, PageHeader, formatUtc, inputClass } from "@/components/ui";
import { verifierKeys } from "@/lib/audit/checkpoint-note";
import { listCheckpoints } from "@/lib/audit/list-checkpoints";
import { listAuditEvents, type AuditEventPage } from "@/lib/audit/list-events";
import { listEventsQuerySchema } from "@/lib/audit/schemas";
import { fieldErrors } from "@/lib/validation";
import { can } from "@/lib/rbac/context";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Audit trail" };

type SearchParams = Record<string, string | string[] | undefined>;

const FILTERS = ["actor", "action", "target_type", "target_id", "from", "to"] as const;

function first(v: string | string[] | undefined): string {
  return (Array.isArray(v) ? v[0] : v)?.trim() ?? "";
}

/** A datetime-local value (no zone) is read as UTC, like every time shown here. */
function asUtc(v: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v) ? `${v}Z` : v;
}

function withoutZone(iso: string): string {
  return iso.replace(/Z$/, "").replace(/\.000$/, "");
}

export default async function AuditPage({
  params,
  searchParams,
}: {
  params: Promise<{ org: string }>;
  searchParams: Promise<SearchParams>;
}) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "audit:read");
  const sp = await searchParams;
  const values = Object.fromEntries(FILTERS.map((k) => [k, first(sp[k])])) as Record<(typeof FILTERS)[number], string>;
  const cursor = first(sp.cursor);

  const parsed = listEventsQuerySchema.safeParse({
    ...values,
    from: values.from && asUtc(values.from),
    to: values.to && asUtc(values.to),
    cursor,
    limit: "50",
  });
  let page: AuditEventPage | null = null;
  if (parsed.success) page = await listAuditEvents(ctx, parsed.data);
  const errors = parsed.success ? [] : fieldErrors(parsed.error);
  const checkpoints = await listCheckpoints(ctx, { limit: 20 });
  const recent = checkpoints.checkpoints.slice(0, 5);
  const noteKeys = verifierKeys(ctx);
  const newestNote = checkpoints.checkpoints.find((c) => c.note)?.note ?? null;
  const canExport = can(ctx, "audit:export");

  const base = `/${ctx.org.slug}/audit`;
  const link = (over: Record<string, string>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...values, ...over })) if (v) q.set(k, v);
    const s = q.toString();
    return s ? `${base}?${s}` : base;
  };
  const filtered = FILTERS.some((k) => values[k]);

  return (
    <>
      <PageHeader
        title="Audit trail"
        description="Every recorded step of this organization, hash-chained and covered by signed checkpoints. Times are UTC."
        actions={<VerificationBadge org={ctx.org.slug} />}
      />

      <Card title="Filter" className="mb-6">
        <form
          method="get"
          action={base}
          aria-label="Filter events"
          className="grid gap-3 md:grid-cols-3 lg:grid-cols-6"
        >
          <label className="block text-sm">
            <span className="font-medium text-slate-700">Actor id</span>
            <input name="actor" defaultValue={values.actor} className={inputClass} placeholder="user or key id" />
          </label>
          <label className="block text-sm">
            <span className="font-medium text-slate-700">Event type</span>
            <input
              name="action"
              defaultValue={values.action}
              className={inputClass}
              placeholder="member.* or action.approved"
              list="event-types"
            />
            <datalist id="event-types">
              {AUDIT_EVENT_FILTERS.map((e) => (
                <option key={e} value={e} />
              ))}
            </datalist>
          </label>
          <label className="block text-sm">
            <span className="font-medium text-slate-700">Target type</span>
            <input name="target_type" defaultValue={values.target_type} className={inputClass} placeholder="action" />
          </label>
          <label className="block text-sm">
            <span className="font-medium text-slate-700">Target id</span>
            <input name="target_id" defaultValue={values.target_id} className={inputClass} />
          </label>
          <label className="block text-sm">
            <span className="font-medium text-slate-700">From (UTC)</span>
            <input
              type="datetime-local"
              step="1"
              name="from"
              defaultValue={values.from && withoutZone(values.from)}
              className={inputClass}
            />
          </label>
          <label className="block text-sm">
            <span className="font-medium text-slate-700">To (UTC)</span>
            <input
              type="datetime-local"
              step="1"
              name="to"
              defaultValue={values.to && withoutZone(values.to)}
              className={inputClass}
            />
          </label>
          <div className="flex items-center gap-3 md:col-span-3 lg:col-span-6">
            <button
              type="submit"
              className="rounded-md bg-slate-900 px-3 py-2 text-sm font-medium text-white shadow-sm hover:bg-slate-700"
            >
              Apply filters
            </button>
            {filtered && (
              <Link href={base} className="text-sm text-slate-600 underline">
                Clear
              </Link>
            )}
          </div>
        </form>
      </Card>

      {errors.length > 0 && (
        <div className="mb-6">
          <Alert>These filters are not valid: {errors.map((e) => `${e.path}: ${e.message}`).join("; ")}</Alert>
        </div>
      )}

      {page && (
        <Card
          title={cursor ? `Events before #${cursor}` : "Latest events"}
          actions={
            <div className="flex gap-3 text-sm">
              {cursor && (
                <Link className="text-slate-700 underline" href={link({ cursor: "" })}>
                  Newest
                </Link>
              )}
              {page.next_cursor && (
                <Link className="text-slate-700 underline" href={link({ cursor: page.next_cursor })} rel="next">
                  Older →
                </Link>
              )}
            </div>
          }
        >
          <Table
            rows={page.events}
            rowKey={(e) => e.seq}
            rowProps={(e) => ({ "data-testid": `event-${e.seq}` })}
            label="Audit events"
            testId="audit-events"
            empty="No events match."
            columns={[
              {
                header: "#",
                className: "tabular-nums",
                cell: (e) => (
                  <Link className="text-slate-900 underline" href={`${base}/events/${e.seq}`}>
                    {e.seq}
                  </Link>
                ),
              },
              {
                header: "When (UTC)",
                className: "sm:whitespace-nowrap text-slate-600",
                cell: (e) => <time dateTime={e.event.occurred_at}>{formatUtc(e.event.occurred_at)}</time>,
              },
              {
                header: "Actor",
                cell: ({ event: ev, actor_label }) =>
                  ev.actor.id ? (
                    <Link
                      className="break-all text-slate-700 hover:underline"
                      href={link({ actor: ev.actor.id, cursor: "" })}
                      title={ev.actor.id}
                    >
                      {actor_label ?? `${ev.actor.type} ${ev.actor.id.slice(0, 8)}…`}
                    </Link>
                  ) : (
                    <Badge>{ev.actor.type}</Badge>
                  ),
              },
              {
                header: "Event",
                className: "font-mono text-xs",
                cell: ({ event: ev }) => (
                  <Link className="hover:underline" href={link({ action: ev.action, cursor: "" })}>
                    {ev.action}
                  </Link>
                ),
              },
              {
                header: "Target",
                className: "text-xs",
                cell: ({ event: ev }) =>
                  ev.target.type && ev.target.id ? (
                    ev.target.type === "action" ? (
                      <Link
                        className="font-mono text-slate-900 underline"
                        href={`${base}/actions/${ev.target.id}`}
                        title="Open the action"
                      >
                        action {ev.target.id.slice(0, 8)}…
                      </Link>
                    ) : (
                      <Link
                        className="font-mono text-slate-700 hover:underline"
                        href={link({ target_type: ev.target.type, target_id: ev.target.id, cursor: "" })}
                      >
                        {ev.target.type} {ev.target.id.length > 12 ? `${ev.target.id.slice(0, 8)}…` : ev.target.id}
                      </Link>
                    )
                  ) : (
                    <span className="text-slate-400">—</span>
                  ),
              },
              {
                header: "Hash",
                className: "font-mono text-xs text-slate-500",
                cell: (e) => <span title={e.hash}>{e.hash.slice(0, 12)}…</span>,
              },
            ]}
          />
        </Card>
      )}

      <div className="mt-6 grid gap-6 lg:grid-cols-2">
        <Card title="Signed checkpoints" actions={canExport ? <CheckpointButton org={ctx.org.slug} /> : undefined}>
          {recent.length === 0 ? (
            <p className="text-sm text-slate-600">
              None yet. Checkpoints are signed on a schedule, on demand and with every proof pack.
            </p>
          ) : (
            <ul className="divide-y divide-slate-100 text-sm" data-testid="checkpoints">
              {recent.map((c) => (
                <li key={c.id} className="py-2">
                  <div className="flex justify-between gap-2">
                    <span className="font-medium tabular-nums">#{c.tree_size}</span>
                    <span className="text-slate-600">{formatUtc(c.timestamp)}</span>
                  </div>
                  <div className="flex justify-between gap-2 text-xs text-slate-500">
                    <span className="font-mono" title={c.root_hash}>
                      root {c.root_hash.slice(0, 16)}…
                    </span>
                    <span>
                      {c.reason.replace("_", " ")} · key {c.key_id}
                    </span>
                  </div>
                </li>
              ))}
            </ul>
          )}
          <h3 className="mt-4 text-xs font-semibold uppercase text-slate-500">Signing keys</h3>
          <ul className="mt-1 space-y-1 text-xs" data-testid="signing-keys">
            {checkpoints.keys.map((k) => (
              <li key={k.key_id}>
                <Badge tone={k.status === "active" ? "green" : k.status === "retired" ? "slate" : "blue"}>
                  {k.status}
                </Badge>{" "}
                <span
                  className="font-mono break-all"
                  title="SHA-256 of the public key (SPKI DER): compare with --expect-key"
                >
                  sha256:{k.fingerprint}
                </span>
              </li>
            ))}
          </ul>
          <h3 className="mt-4 text-xs font-semibold uppercase text-slate-500">Verifier keys (signed notes)</h3>
          <p className="mt-1 text-xs text-slate-600">
            Every checkpoint is also a C2SP signed note of the log <code className="break-all">{noteKeys.origin}</code>,
            readable by standard transparency-log tools (Go&apos;s <code>sumdb/note</code>, witnesses, monitors). Give
            them these keys:
          </p>
          <ul className="mt-1 space-y-1 text-xs" data-testid="verifier-keys">
            {noteKeys.keys.map((k) => (
              <li key={k.key_id}>
                <Badge tone={k.status === "active" ? "green" : k.status === "retired" ? "slate" : "blue"}>
                  {k.status}
                </Badge>{" "}
                <code className="font-mono break-all">{k.verifier_key}</code>
              </li>
            ))}
          </ul>
          {newestNote && (
            <details className="mt-2 text-xs">
              <summary className="cursor-pointer text-slate-600">The newest checkpoint as a signed note</summary>
              <pre className="mt-1 overflow-x-auto rounded bg-slate-50 p-2 font-mono" data-testid="checkpoint-note">
                {newestNote}
              </pre>
            </details>
          )}
          <p className="mt-2 text-xs text-slate-500">
            Public keys and all checkpoints: <code>GET /api/v1/audit/checkpoints</code>; the newest as a signed note:{" "}
            <code>GET /api/v1/audit/checkpoint</code>; verifier keys: <code>GET /api/v1/audit/verifier-keys</code>; a
            monitor that alerts on a rewritten log: <code>npm run monitor -- &lt;url&gt; {ctx.org.slug}</code>.
          </p>
        </Card>
        <Card title="Prove consistency between two checkpoints">
          <p className="mb-3 text-sm text-slate-600">
            A consistency proof shows that the log signed at a later checkpoint extends the log signed at an earlier
            one: nothing recorded before was changed, removed or reordered.
          </p>
          <ConsistencyProver
            org={ctx.org.slug}
            checkpoints={checkpoints.checkpoints.map((c) => ({
              id: c.id,
              tree_size: c.tree_size,
              timestamp: c.timestamp,
              key_id: c.key_id,
            }))}
          />
        </Card>
        {canExport && (
          <Card title="Export">
            <ExportForm org={ctx.org.slug} mine={await listExportRequests(ctx, "mine", 10)} />
          </Card>
        )}
      </div>
    </>
  );
}
