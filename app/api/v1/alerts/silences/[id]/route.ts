import { endSilence } from "@/lib/alerts/history";
import { idParams } from "@/lib/alerts/routes";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Ends a silence now (it stays in the list, ended). */
export const DELETE = route({ permission: "alerts:write", params: idParams }, async ({ ctx, params }) => {
  await endSilence(ctx, params.id);
  return { status: 204 };
});

export const { GET, HEAD, POST, PUT, PATCH, OPTIONS } = otherMethods("DELETE");
