import { randomBytes } from "node:crypto";
import { lastRequiredFactor } from "../auth/mfa-policy";
import { membershipsOf } from "../auth/principal";
import { RECOVERY_CODES_LOW, remainingRecoveryCodes, replaceRecoveryCodes } from "../auth/recovery-codes";
import { auditEachOrg, type RequestMeta } from "../auth/sessions";
import { credentialsOf, requireStepUp, type StepUpTarget } from "../auth/step-up";
import { matchTotpStep, newTotpSecret, totpQrSvg, totpSecretOf, totpUri } from "../auth/totp";
import { registrationOptions, verifyRegistration } from "../auth/webauthn";
import { isUniqueViolation } from "../db/errors";
import { withUser, type Tx } from "../db/tenant";
import { AppError } from "../errors";
import { queueSecurityNotice, type SecurityNoticeKind } from "../notifications/security-notices";
import type { SessionUser } from "../rbac/context";
import { parseOr422 } from "../validation";
import { confirmTotpSchema, finishPasskeySchema, renamePasskeySchema } from "./schemas";
import type { AuditEventName } from "../audit/event-names";

/**
 * A person's factors: TOTP, passkeys, recovery codes. Adding a factor when one
 * exists, removing one, and regenerating recovery codes need a step-up
 * (`factors.change`, bound to the person). The first factor brings a set of
 * recovery codes, shown once. Every change is audited in each of the person's
 * organizations, in the transaction that makes it.
 */
const PENDING_TOTP_MINUTES = 15;
const REGISTRATION_TTL_SECONDS = 300;

const factorsTarget = (user: SessionUser): StepUpTarget => ({
  purpose: "factors.change",
  targetId: user.userId,
  payloadHash: null,
});

async function orgIds(userId: string): Promise<string[]> {
  return (await membershipsOf(userId)).map((m) => m.org.id);
}

async function audit(
  tx: Tx,
  user: SessionUser,
  ids: string[],
  action: AuditEventName,
  meta: RequestMeta,
  data: Record<string, unknown>,
) {
  await auditEachOrg(tx, ids, { userId: user.userId, action, sessionId: user.sessionId, ip: meta.ip, data });
  // The person hears of every change to how they sign in (by e-mail, after commit, when SMTP is set).
  const kind = NOTICES[action];
  if (kind) {
    const detail =
      data.type === "totp"
        ? "authenticator app"
        : data.type === "webauthn"
          ? `passkey${typeof data.name === "string" ? ` “${data.name}”` : ""}`
          : null;
    await queueSecurityNotice(tx, { to: user.email, kind, detail, ip: meta.ip });
  }
}

const NOTICES: Partial<Record<string, SecurityNoticeKind>> = {
  "mfa.factor_added": "mfa_factor_added",
  "mfa.factor_removed": "mfa_factor_removed",
  "mfa.recovery_codes_regenerated": "recovery_codes_regenerated",
};

export type FactorSummary = {
  totp: { enabled: boolean; confirmed_at: Date | null; last_used_at: Date | null };
  passkeys: {
    id: string;
    name: string;
    created_at: Date;
    last_used_at: Date | null;
    backed_up: boolean;
    device_type: string | null;
  }[];
  recovery_codes: { remaining: number; low: boolean } | null;
};

export async function factorSummary(userId: string): Promise<FactorSummary> {
  return withUser(userId, async (tx) => {
    const [totp, passkeys, remaining] = await Promise.all([
      tx.userTotp.findUnique({ where: { userId }, select: { confirmedAt: true, lastUsedAt: true } }),
      tx.webauthnCredential.findMany({
        where: { userId },
        orderBy: { createdAt: "asc" },
        select: { id: true, name: true, createdAt: true, lastUsedAt: true, backedUp: true, deviceType: true },
      }),
      remainingRecoveryCodes(tx, userId),
    ]);
    const hasFactor = !!totp?.confirmedAt || passkeys.length > 0;
    return {
      totp: {
        enabled: !!totp?.confirmedAt,
        confirmed_at: totp?.confirmedAt ?? null,
        last_used_at: totp?.lastUsedAt ?? null,
      },
      passkeys: passkeys.map((p) => ({
        id: p.id,
        name: p.name,
        created_at: p.createdAt,
        last_used_at: p.lastUsedAt,
        backed_up: p.backedUp,
        device_type: p.deviceType,
      })),
      recovery_codes: hasFactor ? { remaining, low: remaining <= RECOVERY_CODES_LOW } : null,
    };
  });
}

/* ----------------------------------- TOTP ---------------------------------- */

/** Starts (or restarts) TOTP enrolment: a new secret, shown as text and as a QR code. It counts only once confirmed. */
export async function beginTotpEnrolment(user: SessionUser) {
  const { secret, envelope } = newTotpSecret(user.userId);
  await withUser(user.userId, async (tx) => {
    const existing = await tx.userTotp.findUnique({ where: { userId: user.userId }, select: { confirmedAt: true } });
    if (existing?.confirmedAt) {
      throw new AppError("conflict", "An authenticator app is already set up; remove it first to set up another");
    }
    await tx.userTotp.upsert({
      where: { userId: user.userId },
      create: { userId: user.userId, secretEncrypted: envelope },
      update: { secretEncrypted: envelope, createdAt: new Date(), lastUsedStep: null },
    });
  });
  const uri = totpUri(secret, user.email);
  return { secret, otpauth_uri: uri, qr_svg: await totpQrSvg(uri), expires_in_minutes: PENDING_TOTP_MINUTES };
}

/** Confirms TOTP with a correct code; returns recovery codes when this is the person's first factor. */
export async function confirmTotpEnrolment(
  user: SessionUser,
  input: unknown,
  stepUpId: string | null,
  meta: RequestMeta,
) {
  const body = parseOr422(confirmTotpSchema, input);
  const ids = await orgIds(user.userId);
  return withUser(user.userId, async (tx) => {
    const row = await tx.userTotp.findUnique({ where: { userId: user.userId } });
    if (!row || row.confirmedAt) throw new AppError("conflict", "Start setting up an authenticator app first");
    if (Date.now() - row.createdAt.getTime() > PENDING_TOTP_MINUTES * 60_000) {
      throw new AppError("conflict", "This setup expired; start again to get a new QR code");
    }
    const step = await matchTotpStep(totpSecretOf(user.userId, row.secretEncrypted), body.code);
    if (step === null) {
      throw new AppError("validation_failed", "That code is not correct", {
        errors: [{ path: "code", message: "That code is not correct; check the time on your device" }],
      });
    }
    const stepUp = await requireStepUp(tx, user, stepUpId, factorsTarget(user));
    const n = await tx.userTotp.updateMany({
      where: { userId: user.userId, confirmedAt: null },
      data: { confirmedAt: new Date(), lastUsedStep: step, lastUsedAt: new Date() },
    });
    if (n.count !== 1) throw new AppError("conflict", "This authenticator app was confirmed already");
    const recoveryCodes = user.factors.length === 0 ? await replaceRecoveryCodes(tx, user.userId) : null;
    // This session has just proved the new factor.
    await tx.$executeRaw`UPDATE sessions SET auth_methods = array_append(auth_methods, 'otp')
                          WHERE id = ${user.sessionId}::uuid AND NOT ('otp' = ANY (auth_methods))`;
    await audit(tx, user, ids, "mfa.factor_added", meta, {
      type: "totp",
      step_up: stepUp?.method ?? null,
      recovery_codes_issued: recoveryCodes ? recoveryCodes.length : 0,
    });
    return { enabled: true, recovery_codes: recoveryCodes };
  });
}

export async function removeTotp(user: SessionUser, stepUpId: string | null, meta: RequestMeta) {
  const memberships = await membershipsOf(user.userId);
  return withUser(user.userId, async (tx) => {
    const row = await tx.userTotp.findUnique({ where: { userId: user.userId }, select: { confirmedAt: true } });
    if (!row) throw new AppError("not_found", "No authenticator app is set up");
    if (row.confirmedAt) {
      const passkeys = await tx.webauthnCredential.count({ where: { userId: user.userId } });
      const org = lastRequiredFactor(memberships, { totp: false, passkeys });
      if (org) throw new AppError("conflict", `${org} requires MFA: add another factor before removing this one`);
      await requireStepUp(tx, user, stepUpId, factorsTarget(user));
    }
    await tx.userTotp.delete({ where: { userId: user.userId } });
    if (row.confirmedAt) {
      await dropRecoveryCodesIfNoFactor(tx, user.userId);
      await audit(
        tx,
        user,
        memberships.map((m) => m.org.id),
        "mfa.factor_removed",
        meta,
        { type: "totp" },
      );
    }
  });
}

async function dropRecoveryCodesIfNoFactor(tx: Tx, userId: string) {
  const [totp, passkeys] = await Promise.all([
    tx.userTotp.count({ where: { userId, confirmedAt: { not: null } } }),
    tx.webauthnCredential.count({ where: { userId } }),
  ]);
  if (totp === 0 && passkeys === 0) await tx.recoveryCode.deleteMany({ where: { userId } });
}

/* ---------------------------------- Passkeys -------------------------------- */

export async function beginPasskeyRegistration(user: SessionUser) {
  const challenge = randomBytes(32).toString("base64url");
  return withUser(user.userId, async (tx) => {
    const existing = await credentialsOf(tx, user.userId);
    if (existing.length >= 20) throw new AppError("conflict", "You have 20 passkeys; remove one to add another");
    const row = await tx.mfaChallenge.create({
      data: {
        userId: user.userId,
        sessionId: user.sessionId,
        purpose: "passkey.register",
        nonce: randomBytes(16).toString("base64url"),
        challenge,
        expiresAt: new Date(Date.now() + REGISTRATION_TTL_SECONDS * 1000),
      },
      select: { id: true },
    });
    return {
      challenge_id: row.id,
      options: await registrationOptions({
        challenge: Buffer.from(challenge, "base64url"),
        userId: user.userId,
        email: user.email,
        name: user.name,
        exclude: existing.map((c) => ({ credentialId: c.credentialId, transports: c.transports })),
      }),
    };
  });
}

export async function finishPasskeyRegistration(
  user: SessionUser,
  input: unknown,
  stepUpId: string | null,
  meta: RequestMeta,
) {
  const body = parseOr422(finishPasskeySchema, input);
  const ids = await orgIds(user.userId);
  return withUser(user.userId, async (tx) => {
    const ch = await tx.$queryRaw<{ challenge: string }[]>`
      UPDATE mfa_challenges SET used_at = now()
       WHERE id = ${body.challenge_id}::uuid AND user_id = ${user.userId}::uuid AND session_id = ${user.sessionId}::uuid
         AND purpose = 'passkey.register' AND used_at IS NULL AND expires_at > now()
      RETURNING challenge`;
    if (!ch[0]) throw new AppError("conflict", "This passkey request expired or was already used; start again");
    const cred = await verifyRegistration(body.response, ch[0].challenge);
    if (!cred) {
      throw new AppError("validation_failed", "The passkey could not be verified for this request", {
        errors: [
          {
            path: "response",
            message: "The passkey response did not verify (wrong challenge, origin or RP ID, or no user verification)",
          },
        ],
      });
    }
    const stepUp = await requireStepUp(tx, user, stepUpId, factorsTarget(user));
    const taken = await tx.$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM warden_webauthn_credential_owner(${cred.credentialId})`;
    if ((taken[0]?.n ?? 0) > 0) throw new AppError("conflict", "This passkey is already registered");
    const created = await tx.webauthnCredential
      .create({
        data: {
          userId: user.userId,
          credentialId: cred.credentialId,
          publicKey: Buffer.from(cred.publicKey),
          counter: cred.counter,
          transports: cred.transports,
          name: body.name,
          aaguid: cred.aaguid,
          deviceType: cred.deviceType,
          backedUp: cred.backedUp,
        },
        select: { id: true, name: true, createdAt: true },
      })
      .catch((e: unknown) => {
        throw isUniqueViolation(e) ? new AppError("conflict", "This passkey is already registered") : e;
      });
    const recoveryCodes = user.factors.length === 0 ? await replaceRecoveryCodes(tx, user.userId) : null;
    await tx.$executeRaw`UPDATE sessions SET auth_methods = array_append(auth_methods, 'webauthn')
                          WHERE id = ${user.sessionId}::uuid AND NOT ('webauthn' = ANY (auth_methods))`;
    await audit(tx, user, ids, "mfa.factor_added", meta, {
      type: "webauthn",
      passkey_id: created.id,
      name: created.name,
      credential_id: cred.credentialId,
      step_up: stepUp?.method ?? null,
      recovery_codes_issued: recoveryCodes ? recoveryCodes.length : 0,
    });
    return {
      passkey: { id: created.id, name: created.name, created_at: created.createdAt },
      recovery_codes: recoveryCodes,
    };
  });
}

export async function renamePasskey(user: SessionUser, id: string, input: unknown) {
  const body = parseOr422(renamePasskeySchema, input);
  await withUser(user.userId, async (tx) => {
    const n = await tx.webauthnCredential.updateMany({ where: { id, userId: user.userId }, data: { name: body.name } });
    if (n.count !== 1) throw new AppError("not_found", "Passkey not found");
  });
}

export async function removePasskey(user: SessionUser, id: string, stepUpId: string | null, meta: RequestMeta) {
  const memberships = await membershipsOf(user.userId);
  await withUser(user.userId, async (tx) => {
    const cred = await tx.webauthnCredential.findFirst({ where: { id, userId: user.userId } });
    if (!cred) throw new AppError("not_found", "Passkey not found");
    const [totp, passkeys] = await Promise.all([
      tx.userTotp.count({ where: { userId: user.userId, confirmedAt: { not: null } } }),
      tx.webauthnCredential.count({ where: { userId: user.userId } }),
    ]);
    const org = lastRequiredFactor(memberships, { totp: totp > 0, passkeys: passkeys - 1 });
    if (org) throw new AppError("conflict", `${org} requires MFA: add another factor before removing this one`);
    await requireStepUp(tx, user, stepUpId, factorsTarget(user));
    await tx.webauthnCredential.delete({ where: { id: cred.id } });
    await dropRecoveryCodesIfNoFactor(tx, user.userId);
    await audit(
      tx,
      user,
      memberships.map((m) => m.org.id),
      "mfa.factor_removed",
      meta,
      {
        type: "webauthn",
        passkey_id: cred.id,
        name: cred.name,
        credential_id: cred.credentialId,
      },
    );
  });
}

/* ------------------------------- Recovery codes ----------------------------- */

export async function regenerateRecoveryCodes(user: SessionUser, stepUpId: string | null, meta: RequestMeta) {
  if (user.factors.length === 0)
    throw new AppError("conflict", "Recovery codes come with a second factor; add one first");
  const ids = await orgIds(user.userId);
  return withUser(user.userId, async (tx) => {
    const stepUp = await requireStepUp(tx, user, stepUpId, factorsTarget(user));
    const codes = await replaceRecoveryCodes(tx, user.userId);
    await audit(tx, user, ids, "mfa.recovery_codes_regenerated", meta, {
      count: codes.length,
      step_up: stepUp?.method ?? null,
    });
    return { recovery_codes: codes };
  });
}
