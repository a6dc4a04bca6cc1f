import { appendAuditEvent } from "../audit/append-event";
import { mfaLockState, unlockMfa } from "../auth/mfa-throttle";
import { memberResetTarget, requireStepUp } from "../auth/step-up";
import { lookupUserMemberships } from "../db/lookup";
import { withTenant, type Tx } from "../db/tenant";
import { AppError, notFound } from "../errors";
import { actorOf, assertCan, tenantOf, type OrgContext, type SessionUser } from "../rbac/context";

/**
 * An admin's help for a member who lost their factors or locked their second
 * step. Factors belong to the person, not the organization (one authenticator
 * serves every organization they are in), so both are refused for a person
 * who also belongs to another organization: one organization's admin must not
 * weaken a person's account in another (the lock ends by itself after 15
 * minutes; a reset there needs every organization's agreement, i.e. support).
 * Only for members who accepted; people only (never an API key); audited.
 */

export type MemberFactorsView = {
  totp: boolean;
  passkeys: number;
  recovery_codes_left: number;
  /** Seconds until the person's second step unlocks by itself, when it is locked. */
  second_step_locked_seconds: number | null;
};

function personOf(ctx: OrgContext, what: string): SessionUser {
  assertCan(ctx, "members:write");
  if (ctx.principal.kind !== "user") throw new AppError("forbidden", `${what} is done by a person, not an API key`);
  return ctx.principal.user;
}

async function assertOwnMember(tx: Tx, ctx: OrgContext, memberId: string): Promise<string> {
  const m = await tx.membership.findUnique({
    where: { orgId_userId: { orgId: ctx.org.id, userId: memberId } },
    select: { acceptedAt: true, user: { select: { email: true } } },
  });
  if (!m || m.acceptedAt === null) throw notFound("Member");
  return m.user.email;
}

async function assertOnlyHere(ctx: OrgContext, memberId: string, what: string): Promise<void> {
  const elsewhere = (await lookupUserMemberships(memberId)).some((m) => m.org_id !== ctx.org.id);
  if (elsewhere) {
    throw new AppError(
      "conflict",
      `This person also belongs to another organization: their sign-in factors are not this organization's alone, so ${what} is not possible here`,
    );
  }
}

/** Each accepted member's factor types (warden_member_factors: this organization only). */
export async function memberFactors(tx: Tx, orgId: string): Promise<Map<string, MemberFactorsView>> {
  const rows = await tx.$queryRaw<{ user_id: string; totp: boolean; passkeys: number; recovery_codes_left: number }[]>`
    SELECT user_id::text, totp, passkeys, recovery_codes_left FROM warden_member_factors(${orgId}::uuid)`;
  const locks = await Promise.all(rows.map((r) => mfaLockState(r.user_id)));
  return new Map(
    rows.map((r, i) => {
      const lock = locks[i]!;
      return [
        r.user_id,
        {
          totp: r.totp,
          passkeys: r.passkeys,
          recovery_codes_left: r.recovery_codes_left,
          second_step_locked_seconds: lock.locked ? lock.retryAfterSeconds : null,
        },
      ];
    }),
  );
}

export type MfaResetResult = { totp: number; passkeys: number; recovery_codes: number; sessions_ended: number };

/**
 * Removes every factor and unused recovery code of a member and ends all their
 * sessions (warden_reset_member_mfa, which re-checks that the caller is an
 * admin here and the member belongs here only), with the admin's own step-up
 * for exactly this member (member.mfa_reset). Audited as member.mfa_reset.
 */
export async function resetMemberFactors(
  ctx: OrgContext,
  memberId: string,
  stepUpId: string | null,
): Promise<MfaResetResult> {
  const admin = personOf(ctx, "Resetting a member's factors");
  if (memberId === admin.userId) {
    throw new AppError("conflict", "Change your own factors on your account page");
  }
  const result = await withTenant(tenantOf(ctx), async (tx) => {
    const email = await assertOwnMember(tx, ctx, memberId);
    await assertOnlyHere(ctx, memberId, "a reset");
    const stepUp = await requireStepUp(tx, admin, stepUpId, memberResetTarget(ctx.org.id, memberId));
    const [r] = await tx.$queryRaw<{ totp: number; passkeys: number; recovery_codes: number; sessions: number }[]>`
      SELECT totp, passkeys, recovery_codes, sessions FROM warden_reset_member_mfa(${memberId}::uuid)`;
    const out = {
      totp: r!.totp,
      passkeys: r!.passkeys,
      recovery_codes: r!.recovery_codes,
      sessions_ended: r!.sessions,
    };
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "member.mfa_reset",
      target: { type: "user", id: memberId },
      ip: ctx.ip,
      data: { email, ...out, step_up: stepUp?.method ?? null },
    });
    return out;
  });
  // A fresh start: no failures carried over into the member's new enrolment.
  await unlockMfa(memberId);
  return result;
}

/**
 * Lifts the lock on a member's second step (10 wrong codes in 15 minutes)
 * before it ends by itself. Audited as member.mfa_unlocked.
 */
export async function unlockMemberSecondStep(ctx: OrgContext, memberId: string): Promise<void> {
  personOf(ctx, "Unlocking a member's second step");
  await withTenant(tenantOf(ctx), async (tx) => {
    const email = await assertOwnMember(tx, ctx, memberId);
    await assertOnlyHere(ctx, memberId, "unlocking it");
    const state = await mfaLockState(memberId);
    if (!state.locked) throw new AppError("not_found", "This member's second step is not locked");
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "member.mfa_unlocked",
      target: { type: "user", id: memberId },
      ip: ctx.ip,
      data: { email, remaining_seconds: state.retryAfterSeconds },
    });
    // Last: a failure here rolls the event back with it.
    await unlockMfa(memberId);
  });
}
