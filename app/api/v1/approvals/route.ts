import { listApprovals } from "@/lib/approvals/list-approvals";
import { route } from "@/lib/http/route";

export const GET = route({ permission: "approvals:read" }, async ({ ctx, req }) => ({
  body: { approvals: await listApprovals(ctx, Object.fromEntries(new URL(req.url).searchParams)) },
}));
