import { createHash } from "node:crypto";

/**
 * The WebAuthn challenge of a step-up is derived from the operation it
 * authorises, so the passkey's signature itself names the operation:
 *
 *   challenge = SHA-256( UTF-8( "warden-step-up/v1" LF purpose LF target_id LF payload_hash LF nonce ) )
 *
 * (an absent target or payload hash is the empty string; none of the fields
 * can contain a line feed). lib/proof-pack/verify.mjs derives it the same way
 * offline; docs/proof-pack-format.md states it for third parties.
 */
export type StepUpBinding = {
  purpose: string;
  targetId: string | null;
  payloadHash: string | null;
  nonce: string;
};

export function stepUpChallengeBytes(b: StepUpBinding): Buffer {
  for (const v of [b.purpose, b.targetId ?? "", b.payloadHash ?? "", b.nonce]) {
    if (v.includes("\n")) throw new Error("step-up binding fields cannot contain a line feed");
  }
  const text = ["warden-step-up/v1", b.purpose, b.targetId ?? "", b.payloadHash ?? "", b.nonce].join("\n");
  return createHash("sha256").update(text, "utf8").digest();
}

export function stepUpChallenge(b: StepUpBinding): string {
  return stepUpChallengeBytes(b).toString("base64url");
}
