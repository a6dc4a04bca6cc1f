import { appendAuditEvent } from "../audit/append-event";
import { withTenant } from "../db/tenant";
import { log } from "../log";
import type { VerifiedKey } from "../rbac/context";

/**
 * Audit events about how keys are used, written off the request's critical
 * path (a failure is logged, never fails the request). Each is bounded so a
 * client cannot flood the chain: a rate-limit refusal is recorded once per key
 * and window, a new address once per key and address.
 */
export function recordKeyRateLimited(key: VerifiedKey, limit: number, ip: string | null): void {
  void withTenant({ orgId: key.orgId }, (tx) =>
    appendAuditEvent(tx, {
      orgId: key.orgId,
      actor: { type: "api_key", id: key.id },
      action: "api_key.rate_limited",
      target: { type: "api_key", id: key.id },
      ip,
      data: { limit_per_minute: limit },
    }),
  ).catch((e: unknown) => log().warn({ err: e, keyId: key.id }, "could not record a rate-limited key"));
}
