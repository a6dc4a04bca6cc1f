import { emergencyRevoke } from "@/lib/keys/emergency-revoke";
import { emergencyRevokeSchema } from "@/lib/keys/schemas";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const POST = route({ permission: "org:admin", body: emergencyRevokeSchema }, async ({ ctx, body, req }) => ({
  body: await emergencyRevoke(ctx, body, stepUpIdOf(req)),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
