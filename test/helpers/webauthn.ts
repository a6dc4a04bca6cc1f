import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";

/**
 * A software authenticator (ES256, P-256) that produces real WebAuthn
 * registration and assertion responses, signed with a real key, for the
 * integration tests. The browser tests use Chromium's virtual authenticator.
 */
const b64u = (b: Buffer | Uint8Array) => Buffer.from(b).toString("base64url");
const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest();

export const TEST_ORIGIN = "http://localhost:3999";
export const TEST_RP_ID = "localhost";

export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly privateKey: KeyObject;
  private readonly publicJwk: { x: string; y: string };
  counter = 0;
  /** Set false to simulate an authenticator that skipped user verification. */
  userVerified = true;

  constructor(readonly userHandle?: string) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: "jwk" }) as { x: string; y: string };
    this.publicJwk = jwk;
  }

  /** The public key as a JWK (what a proof pack carries). */
  get jwk(): { kty: string; crv: string; x: string; y: string } {
    return { kty: "EC", crv: "P-256", ...this.publicJwk };
  }

  get id(): string {
    return b64u(this.credentialId);
  }

  private flags(extra = 0): number {
    return 0x01 | (this.userVerified ? 0x04 : 0) | extra;
  }

  /** A registration response (attestation "none") for these creation options. */
  register(opts: { challenge: string; origin?: string; rpId?: string }) {
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, new Uint8Array(Buffer.from(this.publicJwk.x, "base64url"))],
        [-3, new Uint8Array(Buffer.from(this.publicJwk.y, "base64url"))],
      ]),
    );
    const credLen = Buffer.alloc(2);
    credLen.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      sha256(opts.rpId ?? TEST_RP_ID),
      Buffer.from([this.flags(0x40)]),
      Buffer.alloc(4),
      Buffer.alloc(16),
      credLen,
      this.credentialId,
      Buffer.from(cose),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", new Uint8Array(authData)],
      ]) as never,
    );
    const clientDataJSON = JSON.stringify({
      type: "webauthn.create",
      challenge: opts.challenge,
      origin: opts.origin ?? TEST_ORIGIN,
      crossOrigin: false,
    });
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key" as const,
      response: {
        clientDataJSON: b64u(Buffer.from(clientDataJSON)),
        attestationObject: b64u(attestationObject),
        transports: ["internal"],
      },
      clientExtensionResults: {},
    };
  }

  /** An assertion over this challenge (each call advances the signature counter). */
  assert(opts: { challenge: string; origin?: string; rpId?: string; type?: string }) {
    this.counter += 1;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(this.counter);
    const authData = Buffer.concat([sha256(opts.rpId ?? TEST_RP_ID), Buffer.from([this.flags()]), count]);
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: opts.type ?? "webauthn.get",
        challenge: opts.challenge,
        origin: opts.origin ?? TEST_ORIGIN,
      }),
    );
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key" as const,
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        ...(this.userHandle ? { userHandle: b64u(Buffer.from(this.userHandle.replace(/-/g, ""), "hex")) } : {}),
      },
      clientExtensionResults: {},
    };
  }
}
