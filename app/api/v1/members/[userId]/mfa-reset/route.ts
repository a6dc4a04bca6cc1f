import { resetMemberFactors } from "@/lib/members/member-mfa";
import { memberParamsSchema } from "@/lib/members/schemas";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/**
 * Removes every second factor of a member and ends their sessions: an admin,
 * with their own step-up for this member (member.mfa_reset), for a person who
 * belongs to this organization only.
 */
export const POST = route(
  { permission: "members:write", params: memberParamsSchema },
  async ({ ctx, params, req }) => ({
    body: await resetMemberFactors(ctx, params.userId, stepUpIdOf(req)),
  }),
);

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
