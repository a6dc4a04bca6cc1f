import { parseSigningKeyring, type SigningKeyring } from "../audit/checkpoint";
import { env } from "../env";
import { parseKeyring, type Keyring } from "../security/keyring";

/** The key rings from the environment, parsed once per process. */
let encryption: Keyring | undefined;
let signing: SigningKeyring | undefined;

export function encryptionKeyring(): Keyring {
  encryption ??= parseKeyring(env().WARDEN_ENCRYPTION_KEYS, env().WARDEN_ENCRYPTION_ACTIVE_KEY);
  return encryption;
}

export function signingKeyring(): SigningKeyring {
  signing ??= parseSigningKeyring(env().WARDEN_AUDIT_SIGNING_KEYS);
  return signing;
}
