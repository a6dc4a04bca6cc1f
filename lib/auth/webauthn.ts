import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { decodeCredentialPublicKey } from "@simplewebauthn/server/helpers";
import { z } from "zod";
import type { Tx } from "../db/tenant";
import { env } from "../env";
import { AppError } from "../errors";
import { log } from "../log";

/**
 * WebAuthn with @simplewebauthn/server: the relying party is the address users
 * open (NEXTAUTH_URL): its origin is the expected origin and its host the RP ID.
 * User verification is always required. Only ES256, EdDSA and RS256 keys are
 * accepted, the algorithms the offline proof-pack verifier checks.
 */
export const SUPPORTED_ALGORITHMS = [-8, -7, -257];

export type RelyingParty = { rpID: string; origin: string; rpName: string };

export function relyingParty(): RelyingParty {
  const url = env().NEXTAUTH_URL;
  if (!url) throw new AppError("unavailable", "Passkeys need NEXTAUTH_URL, the address users open Warden at");
  const u = new URL(url);
  return { rpID: u.hostname, origin: u.origin, rpName: "Warden" };
}

/** A browser's WebAuthn response, bounded before any parsing. */
const b64url = z
  .string()
  .max(16_384)
  .regex(/^[A-Za-z0-9_-]*={0,2}$/, "must be base64url");
export const authenticationResponseSchema = z.object({
  id: b64url.min(16).max(1400),
  rawId: b64url,
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: b64url,
    authenticatorData: b64url,
    signature: b64url,
    userHandle: b64url.optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.string().max(40).optional(),
});
export const registrationResponseSchema = z.object({
  id: b64url.min(16).max(1400),
  rawId: b64url,
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: b64url,
    attestationObject: b64url,
    transports: z.array(z.string().max(40)).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: b64url.optional(),
    authenticatorData: b64url.optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.string().max(40).optional(),
});
export type AuthenticationResponse = z.infer<typeof authenticationResponseSchema>;
export type RegistrationResponse = z.infer<typeof registrationResponseSchema>;

export async function registrationOptions(args: {
  challenge: Uint8Array;
  userId: string;
  email: string;
  name: string;
  exclude: { credentialId: string; transports: string[] }[];
}): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const rp = relyingParty();
  return generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpID,
    userName: args.email,
    userDisplayName: args.name || args.email,
    userID: new Uint8Array(Buffer.from(args.userId.replace(/-/g, ""), "hex")),
    challenge: new Uint8Array(args.challenge),
    attestationType: "none",
    excludeCredentials: args.exclude.map((c) => ({ id: c.credentialId, transports: c.transports })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    timeout: 300_000,
  });
}

export async function authenticationOptions(args: {
  challenge: Uint8Array;
  allow: { credentialId: string; transports: string[] }[];
}): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: relyingParty().rpID,
    challenge: new Uint8Array(args.challenge),
    allowCredentials: args.allow.map((c) => ({ id: c.credentialId, transports: c.transports })),
    userVerification: "required",
    timeout: 300_000,
  });
}

export type NewCredential = {
  credentialId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  aaguid: string;
  deviceType: string;
  backedUp: boolean;
};

/** Verifies a registration against the expected challenge; null when it does not verify. */
export async function verifyRegistration(
  response: RegistrationResponse,
  challenge: string,
): Promise<NewCredential | null> {
  const rp = relyingParty();
  try {
    const r = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      requireUserVerification: true,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
    if (!r.verified) return null;
    const info = r.registrationInfo;
    coseToJwk(info.credential.publicKey); // refuse a key the offline verifier could not check
    return {
      credentialId: info.credential.id,
      publicKey: info.credential.publicKey,
      counter: info.credential.counter,
      transports: (response.response.transports ?? []).slice(0, 10),
      aaguid: info.aaguid,
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
    };
  } catch (e) {
    log().info({ err: e instanceof Error ? e.message : String(e) }, "passkey registration refused");
    return null;
  }
}

export type StoredCredential = { credentialId: string; publicKey: Uint8Array; counter: number; transports: string[] };

/**
 * What proves a passkey assertion to a third party: the signed bytes, the
 * signature and the public key (as a JWK, with its COSE algorithm).
 */
export type AssertionEvidence = {
  credential_id: string;
  authenticator_data: string;
  client_data_json: string;
  signature: string;
  public_key_jwk: JsonWebKeyLike;
  alg: number;
  rp_id: string;
  origin: string;
};

/** Verifies an assertion (user verification required); null when it does not verify. */
export async function verifyAssertion(
  response: AuthenticationResponse,
  challenge: string,
  credential: StoredCredential,
): Promise<{ newCounter: number; evidence: AssertionEvidence } | null> {
  const rp = relyingParty();
  if (response.id !== credential.credentialId) return null;
  try {
    const r = await verifyAuthenticationResponse({
      response: response as AuthenticationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      credential: {
        id: credential.credentialId,
        publicKey: new Uint8Array(credential.publicKey),
        counter: credential.counter,
        transports: credential.transports as never,
      },
      requireUserVerification: true,
    });
    if (!r.verified || !r.authenticationInfo.userVerified) return null;
    const { jwk, alg } = coseToJwk(credential.publicKey);
    return {
      newCounter: r.authenticationInfo.newCounter,
      evidence: {
        credential_id: credential.credentialId,
        authenticator_data: response.response.authenticatorData,
        client_data_json: response.response.clientDataJSON,
        signature: response.response.signature,
        public_key_jwk: jwk,
        alg,
        rp_id: rp.rpID,
        origin: rp.origin,
      },
    };
  } catch (e) {
    log().info({ err: e instanceof Error ? e.message : String(e) }, "passkey assertion refused");
    return null;
  }
}

/**
 * One of the user's own passkeys answering a challenge: finds the credential among the user's
 * (never another person's), verifies the assertion, and records the new signature counter and
 * last use. Sign-in's second step, passkey sign-in and step-up all go through here.
 */
export async function verifyUserPasskey(
  tx: Tx,
  userId: string,
  response: AuthenticationResponse,
  challenge: string,
): Promise<{ ok: true; evidence: AssertionEvidence } | { ok: false; reason: "unknown_credential" | "bad_assertion" }> {
  const cred = await tx.webauthnCredential.findFirst({ where: { userId, credentialId: response.id } });
  if (!cred) return { ok: false, reason: "unknown_credential" };
  const v = await verifyAssertion(response, challenge, {
    credentialId: cred.credentialId,
    publicKey: cred.publicKey,
    counter: Number(cred.counter),
    transports: cred.transports,
  });
  if (!v) return { ok: false, reason: "bad_assertion" };
  await tx.webauthnCredential.update({
    where: { id: cred.id },
    data: { counter: v.newCounter, lastUsedAt: new Date() },
  });
  return { ok: true, evidence: v.evidence };
}

export type JsonWebKeyLike = { kty: string; crv?: string; x?: string; y?: string; n?: string; e?: string };

/** A COSE public key as a JWK (what node:crypto and any verifier read), with its COSE algorithm. */
export function coseToJwk(cose: Uint8Array): { jwk: JsonWebKeyLike; alg: number } {
  const key = decodeCredentialPublicKey(new Uint8Array(cose)) as unknown as Map<number, unknown>;
  const kty = key.get(1);
  const alg = key.get(3);
  const b = (v: unknown) => Buffer.from(v as Uint8Array).toString("base64url");
  if (kty === 2 && alg === -7 && key.get(-1) === 1) {
    return { jwk: { kty: "EC", crv: "P-256", x: b(key.get(-2)), y: b(key.get(-3)) }, alg };
  }
  if (kty === 1 && alg === -8 && key.get(-1) === 6) {
    return { jwk: { kty: "OKP", crv: "Ed25519", x: b(key.get(-2)) }, alg };
  }
  if (kty === 3 && alg === -257) {
    return { jwk: { kty: "RSA", n: b(key.get(-1)), e: b(key.get(-2)) }, alg };
  }
  throw new AppError(
    "validation_failed",
    "This passkey uses an algorithm Warden does not accept (ES256, EdDSA or RS256)",
  );
}
