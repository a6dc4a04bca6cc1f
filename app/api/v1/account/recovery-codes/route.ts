import { regenerateRecoveryCodes } from "@/lib/account/factors";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** A new set of 10 recovery codes (step-up); the old set stops working. */
export const POST = route({ signedIn: true }, async ({ user, req, ip }) => ({
  status: 201,
  body: await regenerateRecoveryCodes(user, stepUpIdOf(req), { ip, userAgent: req.headers.get("user-agent") }),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
