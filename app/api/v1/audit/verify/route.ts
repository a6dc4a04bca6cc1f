import { verifyChain } from "@/lib/audit/verify-chain";
import { route } from "@/lib/rbac/route";

/** Recomputes the organization's hash chain and reports the first broken event, if any. */
export const GET = route({ permission: "audit:read" }, async ({ ctx }) => {
  const result = await verifyChain(ctx.org.id);
  return {
    body: result.ok
      ? { chain: { ok: true, length: result.length, head_hash: result.headHash, verified_at: result.verifiedAt } }
      : {
          chain: {
            ok: false,
            length: result.length,
            first_bad_seq: result.firstBadSeq,
            reason: result.reason,
            verified_at: result.verifiedAt,
          },
        },
  };
});
