import { unlockMemberSecondStep } from "@/lib/members/member-mfa";
import { memberParamsSchema } from "@/lib/members/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Lifts the lock on a member's second step (10 wrong codes in 15 minutes) before it ends by itself. */
export const DELETE = route({ permission: "members:write", params: memberParamsSchema }, async ({ ctx, params }) => {
  await unlockMemberSecondStep(ctx, params.userId);
  return { status: 204 };
});

export const { GET, HEAD, POST, PUT, PATCH, OPTIONS } = otherMethods("DELETE");
