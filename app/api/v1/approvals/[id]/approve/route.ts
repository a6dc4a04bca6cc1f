import { decideApproval } from "@/lib/approvals/decide-approval";
import { approvalParamsSchema, decideApprovalSchema } from "@/lib/approvals/schemas";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const POST = route(
  { permission: "approvals:decide", params: approvalParamsSchema, body: decideApprovalSchema },
  async ({ ctx, params, body, req }) => ({
    body: await decideApproval(ctx, params.id, "approved", body, stepUpIdOf(req)),
  }),
);

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
