import { describe, expect, it } from "vitest";
import { parseSigningKeyring } from "@/lib/audit/checkpoint";
import { decrypt, encrypt, parseKeyring } from "@/lib/security/keyring";
import { generateSecret } from "@/scripts/lib/local-env";

describe("generated local secrets", () => {
  it("are in the formats the key rings read", () => {
    expect(generateSecret("NEXTAUTH_SECRET").length).toBeGreaterThanOrEqual(32);
    const ring = parseKeyring(generateSecret("WARDEN_ENCRYPTION_KEYS"));
    expect(decrypt(ring, encrypt(ring, "x", "aad"), "aad")).toBe("x");
    const signing = parseSigningKeyring(generateSecret("WARDEN_AUDIT_SIGNING_KEYS"));
    expect(signing.keys).toHaveLength(1);
    expect(signing.keys[0]!.privateKey).not.toBeNull();
    expect(generateSecret("WARDEN_DEMO_PASSWORD")).toMatch(/^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/);
  });
});
