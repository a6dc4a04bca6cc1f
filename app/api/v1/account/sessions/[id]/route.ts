import { idParams } from "@/lib/account/schemas";
import { revokeSession } from "@/lib/account/sessions";
import { route } from "@/lib/http/route";

export const DELETE = route({ signedIn: true, params: idParams }, async ({ user, params, req, ip }) => {
  await revokeSession(user, params.id, { ip, userAgent: req.headers.get("user-agent") });
  return { status: 204 };
});
