import type { AuditCheckpoint } from "../db/generated/client";
import {
  isKeyValidAt,
  publicKeyFingerprint,
  selectSigningKey,
  type SignedCheckpoint,
  type SigningKeyring,
} from "./checkpoint";

export type CheckpointReason = "scheduled" | "on_demand" | "proof_pack";

/** A stored checkpoint as the API shows it; `signed` is what a verifier checks. */
export type CheckpointView = {
  id: string;
  tree_size: number;
  root_hash: string;
  key_id: string;
  timestamp: string;
  reason: CheckpointReason;
  created_at: string;
  signed: SignedCheckpoint;
  /** The same tree head as a C2SP signed note (null for checkpoints older than notes). */
  note: string | null;
};

export function toCheckpointView(row: AuditCheckpoint): CheckpointView {
  const signed = row.signed as unknown as SignedCheckpoint;
  return {
    id: row.id,
    tree_size: Number(row.treeSize),
    root_hash: row.rootHash,
    key_id: row.keyId,
    timestamp: signed.checkpoint.timestamp,
    reason: row.reason as CheckpointReason,
    created_at: row.createdAt.toISOString(),
    signed,
    note: row.note,
  };
}

/**
 * A published key: what anyone needs to check a checkpoint or a proof pack
 * offline. `active` signs now; `standby` could sign but a newer key took
 * over; `scheduled` becomes valid later; `retired` can no longer sign (no
 * private half here, or past valid_until) and stays published so that what
 * it signed still verifies.
 */
export type PublishedKey = {
  key_id: string;
  fingerprint: string;
  public_key: string;
  valid_from: string;
  valid_until: string | null;
  status: "active" | "standby" | "scheduled" | "retired";
};

export function publishedKeys(keyring: SigningKeyring, now: Date = new Date()): PublishedKey[] {
  let activeId: string | null = null;
  try {
    activeId = selectSigningKey(keyring, now).keyId;
  } catch {
    activeId = null;
  }
  return [...keyring.keys]
    .sort((a, b) => b.validFrom.getTime() - a.validFrom.getTime() || a.keyId.localeCompare(b.keyId))
    .map((k) => {
      const status: PublishedKey["status"] =
        k.keyId === activeId
          ? "active"
          : k.validFrom.getTime() > now.getTime()
            ? "scheduled"
            : k.privateKey && isKeyValidAt(k, now)
              ? "standby"
              : "retired";
      return {
        key_id: k.keyId,
        fingerprint: publicKeyFingerprint(k.publicKey),
        public_key: k.publicKeyPem,
        valid_from: k.validFrom.toISOString(),
        valid_until: k.validUntil?.toISOString() ?? null,
        status,
      };
    });
}
