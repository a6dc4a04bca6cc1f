import { unlockMember } from "@/lib/members/unlock-member";
import { memberParamsSchema } from "@/lib/members/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Lifts a lock an alert response (lock_user) put on a member. */
export const DELETE = route({ permission: "members:write", params: memberParamsSchema }, async ({ ctx, params }) => {
  await unlockMember(ctx, params.userId);
  return { status: 204 };
});

export const { GET, HEAD, POST, PUT, PATCH, OPTIONS } = otherMethods("DELETE");
