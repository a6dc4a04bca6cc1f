import { changePassword } from "@/lib/account/profile";
import { changePasswordSchema } from "@/lib/account/schemas";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Changes the password (current password; step-up when enrolled); every other session ends. */
export const POST = route({ signedIn: true, body: changePasswordSchema }, async ({ user, body, req, ip }) => ({
  body: await changePassword(user, body, stepUpIdOf(req), { ip, userAgent: req.headers.get("user-agent") }),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
