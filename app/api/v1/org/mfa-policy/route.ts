import { getMfaPolicy, mfaPolicySchema, updateMfaPolicy } from "@/lib/auth/org-mfa-policy";
import { route, stepUpIdOf } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "org:admin" }, async ({ ctx }) => ({ body: await getMfaPolicy(ctx) }));

/** Sets the MFA policy (admin step-up; refused if it would lock the admin out). */
export const PUT = route({ permission: "org:admin", body: mfaPolicySchema }, async ({ ctx, body, req }) => ({
  body: await updateMfaPolicy(ctx, body, stepUpIdOf(req)),
}));

export const { POST, PATCH, DELETE, OPTIONS } = otherMethods("GET", "PUT");
