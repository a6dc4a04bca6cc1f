import { z } from "zod";
import { appendAuditEvent } from "../audit/append-event";
import { mfaCompliance } from "./mfa-policy";
import { requireStepUp } from "./step-up";
import { withTenant } from "../db/tenant";
import { AppError } from "../errors";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { parseOr422 } from "../validation";

/**
 * The organization's MFA policy: off / required for admins and approvers /
 * required for everyone, optionally passkeys only, with a grace period for
 * members who have no compliant factor yet; and when approvals need a step-up
 * (every / high risk and above / none). Changing it needs the admin's step-up,
 * and an admin cannot require what their own session does not meet (they would
 * lock themselves out). Audited with before and after.
 */
export const mfaPolicySchema = z.strictObject({
  mfa_policy: z.enum(["off", "privileged", "everyone"]),
  passkeys_only: z.boolean().default(false),
  grace_days: z.number().int().min(0).max(30).default(0),
  step_up_approvals: z.enum(["every", "high", "none"]).default("high"),
});

export type MfaPolicyView = {
  mfa_policy: string;
  passkeys_only: boolean;
  grace_until: Date | null;
  step_up_approvals: string;
};

export async function getMfaPolicy(ctx: OrgContext): Promise<MfaPolicyView> {
  assertCan(ctx, "org:admin");
  const o = await withTenant(tenantOf(ctx), (tx) =>
    tx.organization.findUniqueOrThrow({
      where: { id: ctx.org.id },
      select: { mfaPolicy: true, mfaPasskeysOnly: true, mfaGraceUntil: true, stepUpApprovals: true },
    }),
  );
  return {
    mfa_policy: o.mfaPolicy,
    passkeys_only: o.mfaPasskeysOnly,
    grace_until: o.mfaGraceUntil,
    step_up_approvals: o.stepUpApprovals,
  };
}

export async function updateMfaPolicy(ctx: OrgContext, raw: unknown, stepUpId: string | null): Promise<MfaPolicyView> {
  assertCan(ctx, "org:admin");
  if (ctx.principal.kind !== "user")
    throw new AppError("forbidden", "The MFA policy is changed by a person, not an API key");
  const user = ctx.principal.user;
  const input = parseOr422(mfaPolicySchema, raw);
  const next = {
    policy: input.mfa_policy,
    passkeysOnly: input.passkeys_only,
    graceUntil: input.grace_days > 0 ? new Date(Date.now() + input.grace_days * 86_400_000) : null,
    stepUpApprovals: input.step_up_approvals,
  };
  if (!mfaCompliance(user, { role: "admin", mfa: { ...next, graceUntil: null } }).ok) {
    throw new AppError(
      "conflict",
      input.passkeys_only
        ? "Sign in with a passkey before requiring passkeys: otherwise you would lock yourself out"
        : "Set up a second factor and sign in with it before requiring MFA: otherwise you would lock yourself out",
    );
  }
  return withTenant(tenantOf(ctx), async (tx) => {
    const stepUp = await requireStepUp(tx, user, stepUpId, {
      purpose: "org.mfa_policy",
      targetId: ctx.org.id,
      payloadHash: null,
    });
    const before = await tx.organization.findUniqueOrThrow({
      where: { id: ctx.org.id },
      select: { mfaPolicy: true, mfaPasskeysOnly: true, mfaGraceUntil: true, stepUpApprovals: true },
    });
    const o = await tx.organization.update({
      where: { id: ctx.org.id },
      data: {
        mfaPolicy: next.policy,
        mfaPasskeysOnly: next.passkeysOnly,
        mfaGraceUntil: next.graceUntil,
        stepUpApprovals: next.stepUpApprovals,
        updatedAt: new Date(),
      },
      select: { mfaPolicy: true, mfaPasskeysOnly: true, mfaGraceUntil: true, stepUpApprovals: true },
    });
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "org.mfa_policy_changed",
      target: { type: "organization", id: ctx.org.id },
      ip: ctx.ip,
      data: {
        from: {
          mfa_policy: before.mfaPolicy,
          passkeys_only: before.mfaPasskeysOnly,
          grace_until: before.mfaGraceUntil?.toISOString() ?? null,
          step_up_approvals: before.stepUpApprovals,
        },
        to: {
          mfa_policy: o.mfaPolicy,
          passkeys_only: o.mfaPasskeysOnly,
          grace_until: o.mfaGraceUntil?.toISOString() ?? null,
          step_up_approvals: o.stepUpApprovals,
        },
        step_up: stepUp?.method ?? null,
      },
    });
    return {
      mfa_policy: o.mfaPolicy,
      passkeys_only: o.mfaPasskeysOnly,
      grace_until: o.mfaGraceUntil,
      step_up_approvals: o.stepUpApprovals,
    };
  });
}
