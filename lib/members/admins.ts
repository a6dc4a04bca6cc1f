import type { Tx } from "../db/tenant";
import { AppError } from "../errors";

/**
 * Locks every admin membership of the organization and fails if the change
 * would leave none (an admin who has not accepted the invitation does not count). Concurrent demotions serialise on these row locks, so two
 * admins demoting each other cannot both succeed.
 */
export async function assertAnotherAdminRemains(tx: Tx, orgId: string, leavingUserId: string): Promise<void> {
  const admins = await tx.$queryRaw<{ user_id: string }[]>`
    SELECT user_id FROM memberships
    WHERE org_id = ${orgId}::uuid AND role = 'admin' AND accepted_at IS NOT NULL FOR UPDATE`;
  if (!admins.some((a) => a.user_id !== leavingUserId)) {
    throw new AppError("conflict", "An organization must keep at least one admin. Promote another member first.");
  }
}
