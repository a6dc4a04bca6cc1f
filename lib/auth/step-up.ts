import { randomBytes } from "node:crypto";
import { z } from "zod";
import { lookupUserMemberships } from "../db/lookup";
import { withUser, type Tx } from "../db/tenant";
import { AppError } from "../errors";
import type { OrgContext, SessionUser } from "../rbac/context";
import { lockedMessage, mfaLockState, recordMfaFailure, clearMfaFailures } from "./mfa-throttle";
import { consumeRecoveryCode } from "./recovery-codes";
import { auditEachOrg, type RequestMeta } from "./sessions";
import { stepUpChallenge } from "./step-up-challenge";
import { consumeTotpCode } from "./totp";
import {
  authenticationOptions,
  authenticationResponseSchema,
  verifyUserPasskey,
  type AssertionEvidence,
} from "./webauthn";

/**
 * Step-up: a fresh second factor for one operation. A grant is created bound
 * to the operation (purpose, target, payload hash) with a server nonce; its
 * WebAuthn challenge is derived from exactly those (step-up-challenge.ts). It
 * is verified once with a TOTP code, a passkey or (except for approvals) a
 * recovery code, and used once by the operation it names, within 5 minutes,
 * by the same session. The operation consumes it in its own transaction, so a
 * grant for one payload cannot serve another, and an operation that fails
 * leaves nothing half done.
 */
export const STEP_UP_PURPOSES = [
  "approval.decide",
  "keys.create",
  "keys.emergency_revoke",
  "audit.export",
  "factors.change",
  "org.mfa_policy",
  "password.change",
  "member.mfa_reset",
] as const;
export type StepUpPurpose = (typeof STEP_UP_PURPOSES)[number];
export const STEP_UP_TTL_SECONDS = 300;
/** Wrong answers that burn a challenge. */
export const CHALLENGE_MAX_FAILURES = 5;

export type StepUpTarget = { purpose: StepUpPurpose; targetId: string | null; payloadHash: string | null };

export type StepUpEvidence =
  | { method: "totp"; step: number }
  | { method: "recovery" }
  | ({
      method: "webauthn";
      purpose: string;
      target_id: string | null;
      payload_hash: string | null;
      nonce: string;
    } & AssertionEvidence);

export type BegunStepUp = {
  step_up_id: string;
  purpose: StepUpPurpose;
  expires_at: Date;
  methods: string[];
  webauthn: Awaited<ReturnType<typeof authenticationOptions>> | null;
};

export async function credentialsOf(tx: Tx, userId: string) {
  return tx.webauthnCredential.findMany({
    where: { userId },
    select: { id: true, credentialId: true, publicKey: true, counter: true, transports: true, name: true },
    orderBy: { createdAt: "asc" },
  });
}

/** Opens a step-up for one operation. The caller has already checked the caller may do it. */
export async function beginStepUp(user: SessionUser, target: StepUpTarget): Promise<BegunStepUp> {
  if (user.factors.length === 0) {
    throw new AppError("conflict", "You have no second factor to step up with; add one on your account page");
  }
  const nonce = randomBytes(24).toString("base64url");
  const challenge = stepUpChallenge({ ...target, nonce });
  return withUser(user.userId, async (tx) => {
    // Old, unused grants of this session for the same operation are void.
    await tx.mfaChallenge.updateMany({
      where: {
        userId: user.userId,
        sessionId: user.sessionId,
        purpose: target.purpose,
        targetId: target.targetId,
        usedAt: null,
      },
      data: { usedAt: new Date() },
    });
    const row = await tx.mfaChallenge.create({
      data: {
        userId: user.userId,
        sessionId: user.sessionId,
        purpose: target.purpose,
        targetId: target.targetId,
        payloadHash: target.payloadHash,
        nonce,
        challenge,
        expiresAt: new Date(Date.now() + STEP_UP_TTL_SECONDS * 1000),
      },
      select: { id: true, expiresAt: true },
    });
    const creds = user.factors.includes("webauthn") ? await credentialsOf(tx, user.userId) : [];
    return {
      step_up_id: row.id,
      purpose: target.purpose,
      expires_at: row.expiresAt,
      methods: [
        ...(user.factors.includes("totp") ? ["totp"] : []),
        ...(creds.length > 0 ? ["webauthn"] : []),
        ...(target.purpose === "approval.decide" ? [] : ["recovery_code"]),
      ],
      webauthn:
        creds.length > 0
          ? await authenticationOptions({
              challenge: Buffer.from(challenge, "base64url"),
              allow: creds.map((c) => ({ credentialId: c.credentialId, transports: c.transports })),
            })
          : null,
    };
  });
}

export const verifyStepUpSchema = z.discriminatedUnion("method", [
  z.object({ method: z.literal("totp"), code: z.string().trim().max(20) }),
  z.object({ method: z.literal("recovery_code"), code: z.string().trim().max(40) }),
  z.object({ method: z.literal("webauthn"), response: authenticationResponseSchema }),
]);
export type VerifyStepUpInput = z.infer<typeof verifyStepUpSchema>;

/**
 * Checks the second factor for an open grant. Wrong answers count toward the
 * person's lock (10 in 15 minutes) and burn the grant after 5; each is audited.
 */
export async function verifyStepUp(
  user: SessionUser,
  stepUpId: string,
  input: VerifyStepUpInput,
  meta: RequestMeta,
): Promise<{ step_up_id: string; purpose: string; expires_at: Date; method: string }> {
  const lock = await mfaLockState(user.userId);
  if (lock.locked)
    throw new AppError("rate_limited", lockedMessage(lock.retryAfterSeconds), {
      headers: { "Retry-After": String(lock.retryAfterSeconds) },
    });
  const memberships = await lookupUserMemberships(user.userId);
  const outcome = await withUser(user.userId, async (tx) => {
    const rows = await tx.$queryRaw<
      {
        id: string;
        purpose: string;
        target_id: string | null;
        payload_hash: string | null;
        nonce: string;
        challenge: string;
        expires_at: Date;
        failed_attempts: number;
      }[]
    >`SELECT id, purpose, target_id, payload_hash, nonce, challenge, expires_at, failed_attempts
        FROM mfa_challenges
       WHERE id = ${stepUpId}::uuid AND user_id = ${user.userId}::uuid AND session_id = ${user.sessionId}::uuid
         AND verified_at IS NULL AND used_at IS NULL AND expires_at > now()
         AND purpose = ANY (${[...STEP_UP_PURPOSES]}::text[])
       FOR UPDATE`;
    const row = rows[0];
    if (!row) return { kind: "gone" as const };

    let evidence: StepUpEvidence | null = null;
    let failure = "wrong_code";
    if (input.method === "totp") {
      const r = await consumeTotpCode(tx, user.userId, input.code);
      if (r.ok) evidence = { method: "totp", step: r.step };
      else failure = r.reason;
    } else if (input.method === "recovery_code") {
      if (row.purpose === "approval.decide") {
        return {
          kind: "refused" as const,
          message: "Recovery codes sign in but never approve: use your authenticator or passkey",
        };
      }
      const r = await consumeRecoveryCode(tx, user.userId, input.code);
      if (r) evidence = { method: "recovery" };
    } else {
      const check = await verifyUserPasskey(tx, user.userId, input.response, row.challenge);
      if (check.ok) {
        evidence = {
          method: "webauthn",
          purpose: row.purpose,
          target_id: row.target_id,
          payload_hash: row.payload_hash,
          nonce: row.nonce,
          ...check.evidence,
        };
      } else failure = check.reason;
    }

    if (!evidence) {
      const attempts = row.failed_attempts + 1;
      await tx.mfaChallenge.update({
        where: { id: row.id },
        data: { failedAttempts: attempts, ...(attempts >= CHALLENGE_MAX_FAILURES ? { usedAt: new Date() } : {}) },
      });
      await auditEachOrg(
        tx,
        memberships.map((m) => m.org_id),
        {
          userId: user.userId,
          action: "mfa.challenge_failed",
          sessionId: user.sessionId,
          ip: meta.ip,
          data: { purpose: row.purpose, method: input.method, reason: failure, attempts },
        },
      );
      return { kind: "failed" as const, failure, burned: attempts >= CHALLENGE_MAX_FAILURES };
    }
    await tx.mfaChallenge.update({
      where: { id: row.id },
      data: { verifiedAt: new Date(), method: evidence.method, evidence: evidence as object },
    });
    if (evidence.method === "recovery") {
      await auditEachOrg(
        tx,
        memberships.map((m) => m.org_id),
        {
          userId: user.userId,
          action: "mfa.recovery_code_used",
          sessionId: user.sessionId,
          ip: meta.ip,
          data: { purpose: row.purpose },
        },
      );
    }
    return { kind: "ok" as const, row, method: evidence.method };
  });

  if (outcome.kind === "gone") {
    throw new AppError("not_found", "This step-up does not exist, has expired or was already used; start again");
  }
  if (outcome.kind === "refused") throw new AppError("validation_failed", outcome.message);
  if (outcome.kind === "failed") {
    const locked = await recordMfaFailure(user.userId);
    if (locked) await auditMfaLocked(user.userId, meta);
    throw new AppError("validation_failed", failureMessage(outcome.failure, outcome.burned, locked), {
      errors: [
        {
          path: input.method === "webauthn" ? "response" : "code",
          message: failureMessage(outcome.failure, false, false),
        },
      ],
    });
  }
  await clearMfaFailures(user.userId);
  return {
    step_up_id: outcome.row.id,
    purpose: outcome.row.purpose,
    expires_at: outcome.row.expires_at,
    method: outcome.method,
  };
}

export function failureMessage(reason: string, burned: boolean, locked: boolean): string {
  const base =
    reason === "replayed"
      ? "That code was already used; wait for the next one"
      : reason === "not_enrolled"
        ? "You have no authenticator app set up"
        : reason === "bad_assertion" || reason === "unknown_credential"
          ? "The passkey did not verify for this request"
          : "That code is not correct";
  if (locked) return `${base}. Too many wrong codes: the second step is locked for 15 minutes.`;
  if (burned) return `${base}. Too many wrong answers for this request: start again.`;
  return base;
}

export async function auditMfaLocked(userId: string, meta: RequestMeta): Promise<void> {
  const memberships = await lookupUserMemberships(userId);
  if (memberships.length === 0) return;
  await withUser(userId, (tx) =>
    auditEachOrg(
      tx,
      memberships.map((m) => m.org_id),
      { userId, action: "auth.mfa_locked", sessionId: null, ip: meta.ip, data: { minutes: 15 } },
    ),
  );
}

/**
 * Uses the grant an operation names, in the operation's own transaction:
 * verified, unused, unexpired, of this session, for exactly this purpose,
 * target and payload hash. Returns what it proves.
 */
export async function consumeStepUp(
  tx: Tx,
  user: SessionUser,
  stepUpId: string | null | undefined,
  target: StepUpTarget,
): Promise<StepUpEvidence> {
  const refuse = () =>
    new AppError(
      "step_up_required",
      `This needs a fresh second factor for exactly this operation (${target.purpose}); confirm it and try again`,
    );
  if (!stepUpId || !/^[0-9a-f-]{36}$/i.test(stepUpId)) throw refuse();
  const rows = await tx.$queryRaw<{ evidence: StepUpEvidence }[]>`
    UPDATE mfa_challenges SET used_at = now()
     WHERE id = ${stepUpId}::uuid AND user_id = ${user.userId}::uuid AND session_id = ${user.sessionId}::uuid
       AND purpose = ${target.purpose}
       AND target_id IS NOT DISTINCT FROM ${target.targetId}
       AND payload_hash IS NOT DISTINCT FROM ${target.payloadHash}
       AND verified_at IS NOT NULL AND used_at IS NULL AND expires_at > now()
    RETURNING evidence`;
  if (!rows[0]) throw refuse();
  return rows[0].evidence;
}

/**
 * The step-up rule for a person's own sensitive operations: required when they
 * have a factor to step up with (without one there is nothing to ask for; the
 * organization's MFA policy decides whether they may act at all).
 */
export async function requireStepUp(
  tx: Tx,
  user: SessionUser,
  stepUpId: string | null | undefined,
  target: StepUpTarget,
): Promise<StepUpEvidence | null> {
  if (user.factors.length === 0) return null;
  return consumeStepUp(tx, user, stepUpId, target);
}

/** The target of resetting a member's factors: the organization and the member. */
export function memberResetTarget(orgId: string, memberId: string): StepUpTarget {
  return { purpose: "member.mfa_reset", targetId: `${orgId}/${memberId}`, payloadHash: null };
}

/** The target an organization-wide purpose binds to: the organization itself. */
export function orgStepUpTarget(purpose: StepUpPurpose, orgId: string): StepUpTarget {
  return { purpose, targetId: orgId, payloadHash: null };
}

/**
 * The step-up rule for organization operations (creating or rotating an API
 * key, the emergency revoke, audit and proof-pack exports): a person who has
 * a second factor presents a fresh grant for exactly this purpose in this
 * organization. API keys are not subject to MFA (a key cannot present a
 * second factor): a key holding the scope acts without one — the person who
 * created it stepped up then, and it never holds more than they did. A person
 * without a factor is let through here; whether they may act at all is the
 * organization's MFA policy's decision (checked on every request).
 */
export async function requireOrgStepUp(
  tx: Tx,
  ctx: OrgContext,
  stepUpId: string | null | undefined,
  purpose: StepUpPurpose,
): Promise<StepUpEvidence | null> {
  if (ctx.principal.kind !== "user") return null;
  return requireStepUp(tx, ctx.principal.user, stepUpId, orgStepUpTarget(purpose, ctx.org.id));
}

/**
 * A cheap early refusal before expensive work (the grant is still consumed,
 * later, in the operation's transaction): a person with a factor who presents
 * no grant at all.
 */
export function assertStepUpPresented(ctx: OrgContext, stepUpId: string | null | undefined, purpose: StepUpPurpose) {
  if (ctx.principal.kind !== "user" || ctx.principal.user.factors.length === 0) return;
  if (!stepUpId) {
    throw new AppError(
      "step_up_required",
      `This needs a fresh second factor for exactly this operation (${purpose}); confirm it and try again`,
    );
  }
}
