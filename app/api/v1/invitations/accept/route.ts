import { acceptInvitation } from "@/lib/members/invitations";
import { acceptInvitationSchema } from "@/lib/members/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const POST = route({ public: true, body: acceptInvitationSchema, maxBodyBytes: 4096 }, async ({ body, ip }) => ({
  body: await acceptInvitation(body, { ip }),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
