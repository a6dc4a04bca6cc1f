import type { Metadata } from "next";
import { ApprovalQueue } from "@/components/approvals/approval-queue";
import { ExportApprovals } from "@/components/audit/export-requests";
import { listExportRequests } from "@/lib/exports/requests";
import { PageHeader, TabLinks } from "@/components/ui";
import { listApprovals } from "@/lib/approvals/list-approvals";
import { APPROVAL_STATUSES } from "@/lib/approvals/schemas";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Approvals" };

const TABS = [
  { status: "pending", label: "Pending" },
  { status: "approved", label: "Approved" },
  { status: "rejected", label: "Rejected" },
  { status: "expired", label: "Expired" },
  { status: "cancelled", label: "Cancelled" },
  { status: "all", label: "All" },
] as const;

export default async function ApprovalsPage({
  params,
  searchParams,
}: {
  params: Promise<{ org: string }>;
  searchParams: Promise<{ status?: string }>;
}) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "approvals:read");
  const requested = (await searchParams).status;
  const status =
    requested === "all" || (APPROVAL_STATUSES as readonly string[]).includes(requested ?? "") ? requested! : "pending";
  const [items, exports] = await Promise.all([
    listApprovals(ctx, { status }),
    status === "pending" ? listExportRequests(ctx, "pending") : Promise.resolve([]),
  ]);
  return (
    <>
      <PageHeader
        title="Approvals"
        description="Actions that agents may take only after a person agrees. Each decision needs a reason and is bound to the payload you see."
      />
      <TabLinks
        label="Approval status"
        items={TABS.map((t) => ({
          href: t.status === "pending" ? `/${ctx.org.slug}/approvals` : `/${ctx.org.slug}/approvals?status=${t.status}`,
          label: t.label,
          active: t.status === status,
        }))}
      />
      {status === "pending" && <ExportApprovals org={ctx.org.slug} initial={exports} />}
      {/* Remount per tab so the poller and the "new" markers start from that tab's list. */}
      <ApprovalQueue key={status} org={ctx.org.slug} status={status} initial={items} />
    </>
  );
}
