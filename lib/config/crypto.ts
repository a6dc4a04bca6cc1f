import { env } from "../env";
import { parseKeyring, type Keyring } from "../security/keyring";

/** The payload encryption key ring from the environment, parsed once per process. */
let encryption: Keyring | undefined;

export function encryptionKeyring(): Keyring {
  encryption ??= parseKeyring(env().WARDEN_ENCRYPTION_KEYS, env().WARDEN_ENCRYPTION_ACTIVE_KEY);
  return encryption;
}
