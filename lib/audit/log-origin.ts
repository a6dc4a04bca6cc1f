import type { KeyObject } from "node:crypto";
import { env } from "../env";
import { isKeyValidAt, type SigningKeyring } from "./checkpoint";
import type { NoteSigner } from "./signed-note";

/**
 * The organization's transparency-log origin, `<WARDEN_LOG_ORIGIN or host>/audit/<org id>`:
 * the first line of its signed-note checkpoints and the key name of its
 * verifier keys. One origin per organization, so a note of one organization
 * can never be passed off as another's (the name is inside the signed text
 * and inside every key hash).
 */
export function logOriginBase(): string {
  const e = env();
  if (e.WARDEN_LOG_ORIGIN) return e.WARDEN_LOG_ORIGIN;
  if (e.NEXTAUTH_URL) return new URL(e.NEXTAUTH_URL).host;
  return "localhost";
}

export function logOrigin(orgId: string): string {
  return `${logOriginBase()}/audit/${orgId}`;
}

/**
 * The keys that sign a note at `at`: every key of the ring with a private half
 * valid then, newest first. During a rotation overlap both the outgoing and
 * the incoming key sign, so verifiers that know either one accept the note.
 */
export function noteSigners(keyring: SigningKeyring, name: string, at: Date): NoteSigner[] {
  return keyring.keys
    .filter((k): k is typeof k & { privateKey: KeyObject } => k.privateKey !== null && isKeyValidAt(k, at))
    .sort((a, b) => b.validFrom.getTime() - a.validFrom.getTime() || a.keyId.localeCompare(b.keyId))
    .map((k) => ({ name, publicKey: k.publicKey, privateKey: k.privateKey }));
}
