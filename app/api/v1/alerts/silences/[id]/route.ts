import { endSilence } from "@/lib/alerts/history";
import { idParams } from "@/lib/alerts/routes";
import { route } from "@/lib/http/route";

/** Ends a silence now (it stays in the list, ended). */
export const DELETE = route({ permission: "alerts:write", params: idParams }, async ({ ctx, params }) => {
  await endSilence(ctx, params.id);
  return { status: 204 };
});
