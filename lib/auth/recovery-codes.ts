import { randomInt } from "node:crypto";
import type { Tx } from "../db/tenant";
import { sha256Hex } from "../security/hash";

/**
 * Recovery codes: 10 per set, 16 characters from a 32-symbol alphabet
 * (80 bits each, so the stored SHA-256 cannot be brute-forced offline), shown
 * once, stored as hashes bound to their user. A code is used by the one UPDATE
 * that sets used_at: two concurrent uses of one code cannot both succeed.
 */
export const RECOVERY_CODE_COUNT = 10;
export const RECOVERY_CODES_LOW = 3;
const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/l/i
const GROUPS = 4;
const GROUP_LEN = 4;

function newCode(): string {
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    let s = "";
    for (let i = 0; i < GROUP_LEN; i++) s += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(s);
  }
  return groups.join("-");
}

/** What a typed code is compared as: lowercase, without spaces or dashes. */
export function normalizeRecoveryCode(input: string): string | null {
  const s = input.toLowerCase().replace(/[\s-]/g, "");
  return s.length === GROUPS * GROUP_LEN && [...s].every((c) => ALPHABET.includes(c)) ? s : null;
}

function hashCode(userId: string, normalized: string): string {
  return sha256Hex(`warden-recovery-code:v1:${userId}:${normalized}`);
}

/** Replaces the user's recovery codes with a fresh set and returns it (the only time the codes are shown). */
export async function replaceRecoveryCodes(tx: Tx, userId: string): Promise<string[]> {
  const codes = new Set<string>();
  while (codes.size < RECOVERY_CODE_COUNT) codes.add(newCode());
  await tx.recoveryCode.deleteMany({ where: { userId } });
  await tx.recoveryCode.createMany({
    data: [...codes].map((c) => ({ userId, codeHash: hashCode(userId, normalizeRecoveryCode(c)!) })),
  });
  return [...codes];
}

/** Uses a recovery code; returns how many remain, or null when the code is wrong or already used. */
export async function consumeRecoveryCode(
  tx: Tx,
  userId: string,
  input: string,
): Promise<{ remaining: number } | null> {
  const normalized = normalizeRecoveryCode(input);
  if (!normalized) return null;
  const n = await tx.$executeRaw`
    UPDATE recovery_codes SET used_at = now()
     WHERE user_id = ${userId}::uuid AND code_hash = ${hashCode(userId, normalized)} AND used_at IS NULL`;
  if (n !== 1) return null;
  return { remaining: await remainingRecoveryCodes(tx, userId) };
}

export async function remainingRecoveryCodes(tx: Tx, userId: string): Promise<number> {
  return tx.recoveryCode.count({ where: { userId, usedAt: null } });
}
