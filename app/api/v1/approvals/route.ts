import { listApprovals } from "@/lib/approvals/list-approvals";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "approvals:read" }, async ({ ctx, req }) => ({
  body: { approvals: await listApprovals(ctx, Object.fromEntries(new URL(req.url).searchParams)) },
}));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
