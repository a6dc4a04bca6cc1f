import { createPolicyDraft, createPolicySchema, listPolicyVersions } from "@/lib/policy/versions";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

export const GET = route({ permission: "policies:read" }, async ({ ctx }) => ({
  body: { versions: await listPolicyVersions(ctx) },
}));

/** Saves a new draft version; conditions are compiled now and errors come back with their positions. */
export const POST = route(
  { permission: "policies:write", body: createPolicySchema, maxBodyBytes: 512 * 1024 },
  async ({ ctx, body }) => ({
    status: 201,
    body: await createPolicyDraft(ctx, body),
  }),
);

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
