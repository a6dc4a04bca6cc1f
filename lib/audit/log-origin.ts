import { env } from "../env";

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
