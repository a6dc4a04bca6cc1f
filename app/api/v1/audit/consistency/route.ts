import { proveConsistency } from "@/lib/audit/prove-consistency";
import { consistencyQuerySchema } from "@/lib/audit/schemas";
import { route } from "@/lib/http/route";
import { otherMethods } from "@/lib/http/methods";

/** RFC 6962 consistency proof between two checkpoints (ids) or tree sizes: the log at `from` is a prefix of the log at `to`. */
export const GET = route({ permission: "audit:read", query: consistencyQuerySchema }, async ({ ctx, query }) => ({
  body: await proveConsistency(ctx, query),
}));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
