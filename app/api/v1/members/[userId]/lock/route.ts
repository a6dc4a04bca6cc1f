import { unlockMember } from "@/lib/members/unlock-member";
import { memberParamsSchema } from "@/lib/members/schemas";
import { route } from "@/lib/http/route";

/** Lifts a lock an alert response (lock_user) put on a member. */
export const DELETE = route({ permission: "members:write", params: memberParamsSchema }, async ({ ctx, params }) => {
  await unlockMember(ctx, params.userId);
  return { status: 204 };
});
