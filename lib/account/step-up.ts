import { z } from "zod";
import { membershipBySlug } from "../auth/principal";
import { beginStepUp, memberResetTarget, orgStepUpTarget, STEP_UP_PURPOSES, type StepUpPurpose } from "../auth/step-up";
import { AppError } from "../errors";
import type { SessionUser } from "../rbac/context";
import { parseOr422 } from "../validation";

/**
 * Opening a step-up for the person's own operations and for organization-wide
 * ones. Approvals open theirs through the approval (it binds the payload hash:
 * lib/approvals/step-up.ts).
 */
const USER_PURPOSES: readonly StepUpPurpose[] = ["factors.change", "password.change"];
const ORG_PURPOSES: readonly StepUpPurpose[] = [
  "keys.create",
  "keys.emergency_revoke",
  "audit.export",
  "org.mfa_policy",
];

export const beginStepUpSchema = z.object({
  purpose: z.enum(STEP_UP_PURPOSES),
  org: z.string().trim().toLowerCase().max(40).optional(),
  target_id: z.string().uuid().optional(),
});

export async function beginAccountStepUp(user: SessionUser, input: unknown) {
  const body = parseOr422(beginStepUpSchema, input);
  if (USER_PURPOSES.includes(body.purpose)) {
    return beginStepUp(user, { purpose: body.purpose, targetId: user.userId, payloadHash: null });
  }
  if (body.purpose === "approval.decide") {
    throw new AppError("validation_failed", "Approvals open their step-up at POST /api/v1/approvals/{id}/step-up", {
      errors: [{ path: "purpose", message: "Use the approval's own step-up" }],
    });
  }
  if (!body.org) {
    throw new AppError("validation_failed", "Name the organization", {
      errors: [{ path: "org", message: "Required for this purpose" }],
    });
  }
  const m = await membershipBySlug(user.userId, body.org);
  if (!m) throw new AppError("not_found", "Organization not found");
  if (ORG_PURPOSES.includes(body.purpose)) return beginStepUp(user, orgStepUpTarget(body.purpose, m.org.id));
  if (!body.target_id) {
    throw new AppError("validation_failed", "Name the member", {
      errors: [{ path: "target_id", message: "Required for this purpose" }],
    });
  }
  return beginStepUp(user, memberResetTarget(m.org.id, body.target_id));
}
