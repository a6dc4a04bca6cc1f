import { respondToInvitation } from "@/lib/members/invitations";
import { respondInvitationSchema } from "@/lib/members/schemas";
import { route } from "@/lib/http/route";

/** An existing account accepts or declines an invitation, signed in as the invited person. */
export const POST = route(
  { signedIn: true, body: respondInvitationSchema, maxBodyBytes: 4096 },
  async ({ body, user, ip }) => ({
    body: await respondToInvitation(user, body, { ip }),
  }),
);
