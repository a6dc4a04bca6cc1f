import { removePasskey, renamePasskey } from "@/lib/account/factors";
import { idParams, renamePasskeySchema } from "@/lib/account/schemas";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const PATCH = route(
  { signedIn: true, params: idParams, body: renamePasskeySchema },
  async ({ user, params, body }) => {
    await renamePasskey(user, params.id, body);
    return { status: 204 };
  },
);

/** Removes a passkey (step-up; refused when it is the last factor an organization requires). */
export const DELETE = route({ signedIn: true, params: idParams }, async ({ user, params, req, ip }) => {
  await removePasskey(user, params.id, stepUpIdOf(req), { ip, userAgent: req.headers.get("user-agent") });
  return { status: 204 };
});

export const { GET, HEAD, POST, PUT, OPTIONS } = otherMethods("PATCH", "DELETE");
