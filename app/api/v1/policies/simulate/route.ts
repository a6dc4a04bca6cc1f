import { simulatePolicy, simulateSchema } from "@/lib/policy/simulate";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const POST = route(
  { permission: "policies:read", body: simulateSchema, maxBodyBytes: 512 * 1024 },
  async ({ ctx, body }) => ({
    body: await simulatePolicy(ctx, body),
  }),
);

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
