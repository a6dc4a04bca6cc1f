import { describe, expect, it } from "vitest";
import { stepUpChallenge as serverChallenge } from "@/lib/auth/step-up-challenge";
import { stepUpChallenge, verifyPasskeyAssertion } from "@/lib/proof-pack/verify.mjs";
import { SoftAuthenticator, TEST_ORIGIN, TEST_RP_ID } from "../../helpers/webauthn";

const binding = {
  purpose: "approval.decide",
  target_id: "ap-1",
  payload_hash: "ab".repeat(32),
  nonce: "nonce-nonce-nonce-123",
};
const expected = { purpose: "approval.decide", targetId: "ap-1", payloadHash: "ab".repeat(32) };

function evidence(auth: SoftAuthenticator, overrides: { challenge?: string } = {}) {
  const challenge =
    overrides.challenge ?? stepUpChallenge(binding.purpose, binding.target_id, binding.payload_hash, binding.nonce);
  const a = auth.assert({ challenge });
  return {
    method: "webauthn",
    ...binding,
    credential_id: a.id,
    authenticator_data: a.response.authenticatorData,
    client_data_json: a.response.clientDataJSON,
    signature: a.response.signature,
    public_key_jwk: auth.jwk,
    alg: -7,
    rp_id: TEST_RP_ID,
    origin: TEST_ORIGIN,
  };
}

describe("offline passkey evidence (verify.mjs)", () => {
  it("derives the same challenge as the server", () => {
    expect(stepUpChallenge(binding.purpose, binding.target_id, binding.payload_hash, binding.nonce)).toBe(
      serverChallenge({
        purpose: binding.purpose,
        targetId: binding.target_id,
        payloadHash: binding.payload_hash,
        nonce: binding.nonce,
      }),
    );
  });

  it("accepts a genuine assertion over this operation", () => {
    expect(verifyPasskeyAssertion(evidence(new SoftAuthenticator()), expected)).toBeNull();
  });

  it("refuses a tampered signature, authenticator data or client data", () => {
    const auth = new SoftAuthenticator();
    const ev = evidence(auth);
    const flip = (b64: string, i: number) => {
      const b = Buffer.from(b64, "base64url");
      b[i] = b[i]! ^ 1;
      return b.toString("base64url");
    };
    expect(verifyPasskeyAssertion({ ...ev, signature: flip(ev.signature, 12) }, expected)).toMatch(/signature/);
    expect(verifyPasskeyAssertion({ ...ev, authenticator_data: flip(ev.authenticator_data, 36) }, expected)).toMatch(
      /signature/,
    );
    const cd = JSON.parse(Buffer.from(ev.client_data_json, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...cd, crossOrigin: true })).toString("base64url");
    expect(verifyPasskeyAssertion({ ...ev, client_data_json: forged }, expected)).toMatch(/signature/);
  });

  it("refuses another key, another payload, another approval, another challenge, and no user verification", () => {
    const auth = new SoftAuthenticator();
    const ev = evidence(auth);
    expect(verifyPasskeyAssertion({ ...ev, public_key_jwk: new SoftAuthenticator().jwk }, expected)).toMatch(
      /signature/,
    );
    expect(verifyPasskeyAssertion(ev, { ...expected, payloadHash: "cd".repeat(32) })).toMatch(/payload hash/);
    expect(
      verifyPasskeyAssertion({ ...ev, payload_hash: "cd".repeat(32) }, { ...expected, payloadHash: "cd".repeat(32) }),
    ).toMatch(/another challenge/);
    expect(verifyPasskeyAssertion(ev, { ...expected, targetId: "ap-2" })).toMatch(/approval/);
    expect(verifyPasskeyAssertion(evidence(auth, { challenge: "c29tZXRoaW5nLWVsc2UtZW50aXJlbHk" }), expected)).toMatch(
      /another challenge/,
    );
    auth.userVerified = false;
    expect(verifyPasskeyAssertion(evidence(auth), expected)).toMatch(/user verification/);
    expect(verifyPasskeyAssertion({ ...ev, rp_id: "evil.example" }, expected)).toMatch(/RP ID/);
    expect(verifyPasskeyAssertion({ ...ev, alg: -257 }, expected)).toMatch(/algorithm/);
    expect(verifyPasskeyAssertion(null, expected)).toMatch(/not an object/);
  });
});
