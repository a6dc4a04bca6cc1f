import { reissueInvitation } from "@/lib/members/invitations";
import { memberParamsSchema } from "@/lib/members/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Issues a fresh one-time link for a member who has not set up their account. */
export const POST = route({ permission: "members:write", params: memberParamsSchema }, async ({ ctx, params }) => ({
  status: 201,
  body: await reissueInvitation(ctx, params.userId),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
