import { idParams } from "@/lib/account/schemas";
import { revokeSession } from "@/lib/account/sessions";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const DELETE = route({ signedIn: true, params: idParams }, async ({ user, params, req, ip }) => {
  await revokeSession(user, params.id, { ip, userAgent: req.headers.get("user-agent") });
  return { status: 204 };
});

export const { GET, HEAD, POST, PUT, PATCH, OPTIONS } = otherMethods("DELETE");
