import { respondToInvitation } from "@/lib/members/invitations";
import { respondInvitationSchema } from "@/lib/members/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** An existing account accepts or declines an invitation, signed in as the invited person. */
export const POST = route(
  { signedIn: true, body: respondInvitationSchema, maxBodyBytes: 4096 },
  async ({ body, user, ip }) => ({
    body: await respondToInvitation(user, body, { ip }),
  }),
);

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
