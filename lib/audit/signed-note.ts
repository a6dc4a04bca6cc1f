import { createHash, sign, type KeyObject } from "node:crypto";
import { isKeyValidAt, type SigningKeyring } from "./checkpoint";

/**
 * Checkpoints in the transparency-log world's own formats, so that tools
 * nobody here wrote can read and verify them: Go's golang.org/x/mod/sumdb/note,
 * Sigstore Rekor v2, transparency-dev witnesses and monitors.
 *
 * c2sp.org/signed-note: a text ending in a newline, a blank line, then one
 * line per signature, `— <key name> <base64(key hash[4] ‖ signature)>`.
 * For Ed25519 the key hash is SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4],
 * and the signature is over the text bytes (final newline included).
 *
 * c2sp.org/tlog-checkpoint: the text is the origin line, the tree size in
 * decimal, and the base64 root hash, one per line.
 *
 * Verification lives in lib/proof-pack/verify.mjs (zero dependencies), which
 * proof packs and the monitor carry; this module only writes.
 */

/** The signature type byte of plain Ed25519 in signed notes (and in verifier keys). */
export const NOTE_ED25519 = 0x01;

/** Key names (and so origins) as Go's note.isValidName accepts them. */
export function isValidNoteKeyName(name: string): boolean {
  return (
    name.length > 0 &&
    !/[\s+\p{White_Space}]/u.test(name) &&
    !/[\u0000-\u001f\u007f]/.test(name) &&
    !/\p{Cs}/u.test(name)
  );
}

/** The 32 raw bytes of an Ed25519 public key (the last 32 of its SPKI DER). */
export function rawEd25519PublicKey(publicKey: KeyObject): Buffer {
  if (publicKey.asymmetricKeyType !== "ed25519") throw new TypeError("not an Ed25519 key");
  const spki = publicKey.export({ type: "spki", format: "der" });
  return spki.subarray(spki.length - 32);
}

/** SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[:4]: names a (name, key) pair in a signature line. */
export function noteKeyHash(name: string, publicKey: KeyObject): Buffer {
  return createHash("sha256")
    .update(Buffer.from(`${name}\n`, "utf8"))
    .update(Buffer.from([NOTE_ED25519]))
    .update(rawEd25519PublicKey(publicKey))
    .digest()
    .subarray(0, 4);
}

/** `<name>+<hex key hash>+<base64(0x01 ‖ public key)>`: what note.NewVerifier takes. */
export function noteVerifierKey(name: string, publicKey: KeyObject): string {
  if (!isValidNoteKeyName(name)) throw new RangeError(`"${name}" is not a valid note key name`);
  const typed = Buffer.concat([Buffer.from([NOTE_ED25519]), rawEd25519PublicKey(publicKey)]);
  return `${name}+${noteKeyHash(name, publicKey).toString("hex")}+${typed.toString("base64")}`;
}

export type NoteSigner = { name: string; publicKey: KeyObject; privateKey: KeyObject };

/**
 * A signed note of `text` by every signer, in the order given. The text must
 * be what Go's note.Sign accepts: valid UTF-8, ending in one newline, no
 * blank line, no control character other than newline.
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (
    !text.endsWith("\n") ||
    text.includes("\n\n") ||
    /[\u0000-\u0009\u000b-\u001f]/.test(text) ||
    /\p{Cs}/u.test(text)
  ) {
    throw new RangeError("a note text must end in a newline, contain no blank line and no control characters");
  }
  if (signers.length === 0) throw new RangeError("a note needs at least one signature");
  const bytes = Buffer.from(text, "utf8");
  const lines = signers.map((s) => {
    if (!isValidNoteKeyName(s.name)) throw new RangeError(`"${s.name}" is not a valid note key name`);
    const sig = sign(null, bytes, s.privateKey);
    return `\u2014 ${s.name} ${Buffer.concat([noteKeyHash(s.name, s.publicKey), sig]).toString("base64")}\n`;
  });
  return `${text}\n${lines.join("")}`;
}

/** The c2sp.org/tlog-checkpoint body: origin, decimal tree size, base64 root hash. */
export function checkpointNoteText(origin: string, treeSize: number, rootHashHex: string): string {
  if (!isValidNoteKeyName(origin)) throw new RangeError(`"${origin}" is not a valid checkpoint origin`);
  if (!Number.isSafeInteger(treeSize) || treeSize < 0) throw new RangeError(`tree size ${treeSize} is invalid`);
  if (!/^[0-9a-f]{64}$/.test(rootHashHex)) throw new RangeError("root hash must be 64 lowercase hex characters");
  return `${origin}\n${treeSize}\n${Buffer.from(rootHashHex, "hex").toString("base64")}\n`;
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

/** A tlog checkpoint note of (origin, size, root) signed by every key of the ring valid at `at`. */
export function signCheckpointNoteAs(
  keyring: SigningKeyring,
  origin: string,
  treeSize: number,
  rootHashHex: string,
  at: Date,
): string {
  const signers = noteSigners(keyring, origin, at);
  if (signers.length === 0) throw new RangeError(`no signing key is valid at ${at.toISOString()}`);
  return signNote(checkpointNoteText(origin, treeSize, rootHashHex), signers);
}
