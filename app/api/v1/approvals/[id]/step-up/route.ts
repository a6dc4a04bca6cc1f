import { beginApprovalStepUp } from "@/lib/approvals/begin-step-up";
import { approvalParamsSchema } from "@/lib/approvals/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Opens a step-up bound to this approval and its action's payload hash (verify it at /api/v1/account/step-up/{id}). */
export const POST = route(
  { permission: "approvals:decide", params: approvalParamsSchema },
  async ({ ctx, params }) => ({ status: 201, body: await beginApprovalStepUp(ctx, params.id) }),
);

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
