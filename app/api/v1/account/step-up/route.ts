import { beginAccountStepUp, beginStepUpSchema } from "@/lib/account/step-up";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/**
 * Opens a step-up for one operation: its id (send it as X-Warden-Step-Up once
 * verified), the methods the person can use, and the passkey challenge
 * derived from the operation.
 */
export const POST = route({ signedIn: true, body: beginStepUpSchema }, async ({ user, body }) => ({
  status: 201,
  body: await beginAccountStepUp(user, body),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
