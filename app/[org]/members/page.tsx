import type { Metadata } from "next";
import { MembersManager } from "@/components/members/members-manager";
import { PageHeader } from "@/components/ui";
import { listMembers } from "@/lib/members/list-members";
import { can } from "@/lib/rbac/context";
import { requireOrgPage } from "@/lib/http/page";

export const metadata: Metadata = { title: "Members" };

export default async function MembersPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const ctx = await requireOrgPage(org, "members:read");
  const members = await listMembers(ctx);
  return (
    <>
      <PageHeader title="Members" description="People in this organization and what their role lets them do." />
      <MembersManager
        org={ctx.org.slug}
        members={members}
        canWrite={can(ctx, "members:write")}
        currentUserId={ctx.principal.user.userId}
      />
    </>
  );
}
