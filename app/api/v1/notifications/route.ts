import { getInbox } from "@/lib/notifications/inbox";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** The caller's inbox in this organization, with the unread count and (for approvers) pending approvals. */
export const GET = route({ permission: "dashboard:read" }, async ({ ctx }) => ({ body: await getInbox(ctx) }));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
