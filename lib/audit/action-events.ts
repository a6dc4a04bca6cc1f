import type { AuditEvent } from "../db/generated/client";
import { withTenant, type Tx } from "../db/tenant";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { chainedEventOf, type ChainedEvent } from "./event-row";
import { actorLabels, type AuditEventView } from "./list-events";

/**
 * The audit events about one action: those targeting it, and those naming it
 * in data.action_id (docs/proof-pack-format.md), optionally only among the
 * first `upToSeq` events. Raw SQL so the indexes of migration 20261122040000
 * (target, and data->>'action_id') serve it: an organization with a million
 * events answers from a handful of index entries.
 */
export async function eventsAboutAction(
  tx: Tx,
  orgId: string,
  actionId: string,
  upToSeq?: number,
): Promise<ChainedEvent[]> {
  return (await eventRowsAboutAction(tx, orgId, actionId, upToSeq)).map(chainedEventOf);
}

async function eventRowsAboutAction(tx: Tx, orgId: string, actionId: string, upToSeq?: number): Promise<AuditEvent[]> {
  const limit = BigInt(upToSeq ?? Number.MAX_SAFE_INTEGER);
  return tx.$queryRaw<AuditEvent[]>`
    SELECT org_id AS "orgId", seq, id, occurred_at AS "occurredAt", actor_type AS "actorType", actor_id AS "actorId",
           action, target_type AS "targetType", target_id AS "targetId", ip, data, prev_hash AS "prevHash", hash,
           request_id AS "requestId"
    FROM audit_events
    WHERE org_id = ${orgId}::uuid AND seq <= ${limit}
      AND ((target_type = 'action' AND target_id = ${actionId}) OR data->>'action_id' = ${actionId})
    ORDER BY seq`;
}

/** For the action page of the audit section: the action's events, oldest first, with actor names. */
export async function listActionAuditEvents(ctx: OrgContext, actionId: string): Promise<AuditEventView[]> {
  assertCan(ctx, "audit:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await eventRowsAboutAction(tx, ctx.org.id, actionId);
    const events = rows.map(chainedEventOf);
    const labels = await actorLabels(
      tx,
      ctx.org.id,
      events.map((e) => e.event),
    );
    return events.map((e, i) => ({
      ...e,
      actor_label: e.event.actor.id ? (labels.get(e.event.actor.id) ?? null) : null,
      request_id: rows[i]!.requestId,
    }));
  });
}
