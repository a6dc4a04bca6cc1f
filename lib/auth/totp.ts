import { generateSecret, generateURI, verify } from "otplib";
import QRCode from "qrcode";
import { encryptionKeyring } from "../config/crypto";
import type { Tx } from "../db/tenant";
import { decrypt, encrypt } from "../security/keyring";

/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30 s) with otplib. The secret is encrypted
 * at rest with the key ring, bound to its user (AAD), so a secret copied to
 * another user's row does not decrypt. A code is single-use across every app
 * instance: it is accepted only by the UPDATE that raises `last_used_step` to
 * its time step, which the database serialises.
 */
export const TOTP_ISSUER = "Warden";
const PERIOD_SECONDS = 30;
/** ±1 step of clock drift. */
const TOLERANCE_SECONDS = PERIOD_SECONDS;
export const TOTP_CODE_RE = /^\d{6}$/;

const aad = (userId: string) => `totp:${userId}`;

export function newTotpSecret(userId: string): { secret: string; envelope: string } {
  const secret = generateSecret({ length: 20 });
  return { secret, envelope: encrypt(encryptionKeyring(), secret, aad(userId)) };
}

export function totpSecretOf(userId: string, envelope: string): string {
  return decrypt(encryptionKeyring(), envelope, aad(userId));
}

export function totpUri(secret: string, email: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: email, secret, period: PERIOD_SECONDS, digits: 6 });
}

/** The otpauth URI as an SVG QR code, rendered on the server (no external service, no script). */
export async function totpQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 1 });
}

/** The time step a code matches (±1 step of drift), or null. Pure: consumes nothing. */
export async function matchTotpStep(secret: string, code: string, epochSeconds?: number): Promise<number | null> {
  if (!TOTP_CODE_RE.test(code)) return null;
  const r = await verify({
    secret,
    token: code,
    period: PERIOD_SECONDS,
    epochTolerance: TOLERANCE_SECONDS,
    ...(epochSeconds === undefined ? {} : { epoch: epochSeconds }),
  });
  if (!r.valid) return null;
  // The TOTP result names the matched step (and the epoch it matched at).
  const matched = r as { timeStep?: number; epoch?: number };
  if (typeof matched.timeStep === "number") return matched.timeStep;
  if (typeof matched.epoch === "number") return Math.floor(matched.epoch / PERIOD_SECONDS);
  return null;
}

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: "not_enrolled" | "wrong_code" | "replayed" };

/**
 * Checks a code against the user's confirmed TOTP and consumes its time step,
 * inside the caller's transaction (a user-scoped one: RLS shows only their row).
 * A code whose step is at or below the last one used is a replay, whichever
 * instance saw the first use.
 */
export async function consumeTotpCode(tx: Tx, userId: string, code: string): Promise<TotpCheck> {
  const row = await tx.userTotp.findUnique({
    where: { userId },
    select: { secretEncrypted: true, confirmedAt: true },
  });
  if (!row || !row.confirmedAt) return { ok: false, reason: "not_enrolled" };
  const step = await matchTotpStep(totpSecretOf(userId, row.secretEncrypted), code.trim());
  if (step === null) return { ok: false, reason: "wrong_code" };
  const n = await tx.$executeRaw`
    UPDATE user_totp SET last_used_step = ${step}, last_used_at = now()
     WHERE user_id = ${userId}::uuid AND confirmed_at IS NOT NULL
       AND (last_used_step IS NULL OR last_used_step < ${step})`;
  return n === 1 ? { ok: true, step } : { ok: false, reason: "replayed" };
}
