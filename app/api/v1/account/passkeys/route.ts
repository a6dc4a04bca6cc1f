import { beginPasskeyRegistration, factorSummary } from "@/lib/account/factors";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ signedIn: true }, async ({ user }) => ({
  body: { passkeys: (await factorSummary(user.userId)).passkeys },
}));

/** Registration options (user verification and a discoverable credential required). */
export const POST = route({ signedIn: true }, async ({ user }) => ({
  status: 201,
  body: await beginPasskeyRegistration(user),
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
