import { withTenant } from "../db/tenant";
import { AppError } from "../errors";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import type { SigningKeyring } from "./checkpoint";
import { publishedKeys, type PublishedKey } from "./checkpoint-view";
import { logOrigin } from "./log-origin";
import { noteKeyHash, noteSigners, noteVerifierKey, signCheckpointNoteAs } from "./signed-note";
import { signingKeyring } from "./signing-keyring";

/**
 * An organization's checkpoints as C2SP signed notes, and the verifier keys
 * that check them (docs/proof-pack-format.md, "Signed-note checkpoints").
 */

/** The checkpoint (origin, size, root) as a signed note by every key valid at `at`. */
export function signCheckpointNote(
  keyring: SigningKeyring,
  orgId: string,
  treeSize: number,
  rootHashHex: string,
  at: Date,
): string {
  if (noteSigners(keyring, logOrigin(orgId), at).length === 0) {
    throw new AppError("internal", "No audit signing key is valid now", {
      cause: `no signing key valid at ${at.toISOString()}`,
    });
  }
  return signCheckpointNoteAs(keyring, logOrigin(orgId), treeSize, rootHashHex, at);
}

export type LatestCheckpointNote = { note: string; tree_size: number; root_hash: string; checkpoint_id: string };

/**
 * GET /api/v1/audit/checkpoint: the newest checkpoint (largest tree) as a
 * signed note. A checkpoint stored before notes existed gets its note signed
 * now by the keys valid now (Ed25519 is deterministic: the same keys give the
 * same bytes on every read).
 */
export async function latestCheckpointNote(ctx: OrgContext): Promise<LatestCheckpointNote> {
  assertCan(ctx, "audit:read");
  const orgId = ctx.org.id;
  const row = await withTenant(tenantOf(ctx), (tx) =>
    tx.auditCheckpoint.findFirst({
      where: { orgId },
      orderBy: [{ treeSize: "desc" }, { createdAt: "desc" }, { id: "desc" }],
      select: { id: true, treeSize: true, rootHash: true, note: true },
    }),
  );
  if (!row) {
    throw new AppError(
      "not_found",
      "This organization has no checkpoint yet: one is signed on schedule once the log has events, or on demand (POST /api/v1/audit/checkpoints)",
    );
  }
  const treeSize = Number(row.treeSize);
  return {
    note: row.note ?? signCheckpointNote(signingKeyring(), orgId, treeSize, row.rootHash, new Date()),
    tree_size: treeSize,
    root_hash: row.rootHash,
    checkpoint_id: row.id,
  };
}

export type NoteVerifierKey = PublishedKey & {
  /** `<origin>+<key hash>+<base64(0x01 ‖ public key)>`, as Go's note.NewVerifier reads it. */
  verifier_key: string;
  /** The 4-byte key hash that starts this key's signatures in a note, hex. */
  key_hash: string;
};

export type VerifierKeys = { origin: string; keys: NoteVerifierKey[] };

/** The organization's verifier keys: every key of the ring, retired ones too, so old notes stay checkable. */
export function verifierKeysOf(orgId: string, keyring: SigningKeyring = signingKeyring()): VerifierKeys {
  const origin = logOrigin(orgId);
  const byId = new Map(keyring.keys.map((k) => [k.keyId, k]));
  return {
    origin,
    keys: publishedKeys(keyring).map((pk) => {
      const key = byId.get(pk.key_id)!;
      return {
        ...pk,
        verifier_key: noteVerifierKey(origin, key.publicKey),
        key_hash: noteKeyHash(origin, key.publicKey).toString("hex"),
      };
    }),
  };
}

/** GET /api/v1/audit/verifier-keys. */
export function verifierKeys(ctx: OrgContext): VerifierKeys {
  assertCan(ctx, "audit:read");
  return verifierKeysOf(ctx.org.id);
}
