import { decideApproval } from "@/lib/approvals/decide-approval";
import { approvalParamsSchema, decideApprovalSchema } from "@/lib/approvals/schemas";
import { route, stepUpIdOf } from "@/lib/http/route";

export const POST = route(
  { permission: "approvals:decide", params: approvalParamsSchema, body: decideApprovalSchema },
  async ({ ctx, params, body, req }) => ({
    body: await decideApproval(ctx, params.id, "rejected", body, stepUpIdOf(req)),
  }),
);
