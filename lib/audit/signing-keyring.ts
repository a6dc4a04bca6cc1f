import { env } from "../env";
import { parseSigningKeyring, type SigningKeyring } from "./checkpoint";

/** The audit signing key ring (checkpoints, proof packs) from WARDEN_AUDIT_SIGNING_KEYS, parsed once per process. */
let signing: SigningKeyring | undefined;

export function signingKeyring(): SigningKeyring {
  signing ??= parseSigningKeyring(env().WARDEN_AUDIT_SIGNING_KEYS);
  return signing;
}
