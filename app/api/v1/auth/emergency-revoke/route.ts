import { emergencyRevoke } from "@/lib/keys/emergency-revoke";
import { emergencyRevokeSchema } from "@/lib/keys/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const POST = route({ permission: "org:admin", body: emergencyRevokeSchema }, async ({ ctx, body }) => ({
  body: await emergencyRevoke(ctx, body),
}));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
