import { closePendingApprovals } from "../actions/close-pending";
import { lookupOrgsWithDueApprovals } from "../db/lookup";
import { withTenantSql } from "../db/sql";
import { log } from "../log";

/** The scheduler's sweep: every organization with overdue approvals, each in its own tenant transaction. */
export async function runApprovalExpirySweep(): Promise<number> {
  let total = 0;
  for (const orgId of await lookupOrgsWithDueApprovals(100)) {
    try {
      total += (await withTenantSql({ orgId }, (sql) => closePendingApprovals(sql, orgId, { as: "expired" }))).length;
    } catch (err) {
      log().error({ err, orgId }, "approval expiry sweep failed for an organization");
    }
  }
  return total;
}
