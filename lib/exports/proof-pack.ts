import { assertStepUpPresented, requireOrgStepUp } from "../auth/step-up";
import { exportProofPack, type ExportedPack } from "../proof-pack/export-proof-pack";
import type { OrgContext } from "../rbac/context";

/**
 * A proof pack is an export: a person with a second factor steps up for it
 * (audit.export), refused before the Merkle work when no grant is presented
 * at all, and consumed in the pack's own transaction. API keys with
 * audit:export export without one (lib/auth/step-up.ts requireOrgStepUp).
 */
export async function exportActionProofPack(
  ctx: OrgContext,
  actionId: string,
  stepUpId: string | null,
): Promise<ExportedPack> {
  assertStepUpPresented(ctx, stepUpId, "audit.export");
  return exportProofPack(ctx, actionId, async (tx) => {
    const stepUp = await requireOrgStepUp(tx, ctx, stepUpId, "audit.export");
    return { step_up: stepUp?.method ?? null };
  });
}
