import { createHash } from "node:crypto";
import { canonicalJson, type JsonObject } from "../json";
import type { Actor } from "../rbac/context";

/** The chain's genesis: the prev_hash of an organization's first event. */
export const GENESIS_HASH = "0".repeat(64);

export type Target = { type: string; id: string | null };

/**
 * What is hashed for one event. The chain position (seq) is not part of it:
 * order is carried by prev_hash, so a reordered, removed or inserted row breaks
 * the link to its neighbour.
 */
export type HashedEvent = {
  v: 1;
  id: string;
  org_id: string;
  occurred_at: string;
  actor: Actor;
  action: string;
  target: { type: string | null; id: string | null };
  ip: string | null;
  data: JsonObject;
};

export function canonicalEvent(e: HashedEvent): string {
  return canonicalJson(e);
}

/** hash = SHA-256(prev_hash bytes ‖ UTF-8 canonical JSON), hex encoded. */
export function chainHash(prevHashHex: string, canonical: string): string {
  return createHash("sha256").update(Buffer.from(prevHashHex, "hex")).update(canonical, "utf8").digest("hex");
}

/**
 * Makes event data safe to store and hash identically: the JSON round trip
 * drops undefined and functions, and NUL characters (which jsonb refuses) are
 * replaced, so what is hashed is exactly what Postgres keeps.
 */
export function normaliseData(data: unknown): JsonObject {
  if (data === undefined || data === null) return {};
  const json = JSON.stringify(data, (_k, v: unknown) =>
    typeof v === "string" ? v.replace(/\u0000/g, "\uFFFD") : typeof v === "bigint" ? v.toString() : v,
  );
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error("audit event data must be a JSON object");
  }
  return parsed as JsonObject;
}
