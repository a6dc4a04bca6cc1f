import { finishPasskeyRegistration } from "@/lib/account/factors";
import { finishPasskeySchema } from "@/lib/account/schemas";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Verifies the browser's registration and stores the passkey (step-up when another factor exists). */
export const POST = route({ signedIn: true, body: finishPasskeySchema }, async ({ user, body, req, ip }) => ({
  status: 201,
  body: await finishPasskeyRegistration(user, body, stepUpIdOf(req), { ip, userAgent: req.headers.get("user-agent") }),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
