import { z } from "zod";
import { listActions } from "@/lib/actions/get-action";
import { MAX_ACTION_BODY_BYTES } from "@/lib/actions/schemas";
import { submitAction } from "@/lib/actions/submit-action";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/**
 * An agent asks before it acts. 201 with the decision (allow / deny /
 * require_approval); the same Idempotency-Key and body replay the first
 * response (Idempotent-Replayed: true).
 */
export const POST = route(
  { permission: "actions:submit", body: z.unknown(), maxBodyBytes: MAX_ACTION_BODY_BYTES },
  async ({ ctx, body, req }) => {
    const r = await submitAction(ctx, body, req.headers.get("idempotency-key"));
    return {
      status: 201,
      body: r.body,
      headers: {
        ...r.headers,
        ...(r.replayed ? { "Idempotent-Replayed": "true" } : {}),
        Location: `/api/v1/actions/${r.body.id}`,
      },
    };
  },
);

export const GET = route({ permission: "actions:read" }, async ({ ctx, req }) => ({
  body: await listActions(ctx, Object.fromEntries(new URL(req.url).searchParams)),
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
