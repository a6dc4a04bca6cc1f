import { createCheckpoint } from "@/lib/audit/create-checkpoint";
import { listCheckpoints } from "@/lib/audit/list-checkpoints";
import { listCheckpointsQuerySchema } from "@/lib/audit/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** Signed checkpoints, newest first, with every public key of the signing key ring (retired ones included). */
export const GET = route({ permission: "audit:read", query: listCheckpointsQuerySchema }, async ({ ctx, query }) => ({
  body: await listCheckpoints(ctx, query),
}));

/** Signs a checkpoint of the log as it is now. */
export const POST = route({ permission: "audit:export" }, async ({ ctx }) => ({
  status: 201,
  body: await createCheckpoint(ctx),
}));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
