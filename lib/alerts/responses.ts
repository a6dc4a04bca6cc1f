import type { AuditInput } from "../audit/append-event";
import type { Tx } from "../db/tenant";
import type { AlertEvent } from "./condition";
import { enqueueDeliveries } from "./deliveries";
import type { LiveRule } from "./load-rules";
import type { AlertResponse } from "./schemas";
import type { AuditEventName } from "../audit/event-names";

/**
 * Automatic responses. Each is an ordinary change in the organization's
 * tenant transaction, recorded by its own audit event that names the rule
 * version, the firing and the triggering events (seq and hash).
 */
export const ALERTS_ACTOR = { type: "system" as const, id: "alerts" };

export type FiringRef = {
  firingId: string;
  rule: LiveRule;
  triggering: { seq: number; hash: string }[];
  summary: string;
  severity: string;
  /** The newest triggering event: whose actor or target a response acts on. */
  event: AlertEvent;
};

export type ResponseResult = { type: AlertResponse["type"]; status: "done" | "skipped" | "failed"; detail: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function subjectId(e: AlertEvent, subject: "actor" | "target", type: string): string | null {
  const s = subject === "actor" ? e.actor : e.target;
  return s.type === type && s.id && UUID.test(s.id) ? s.id : null;
}

export function alertRef(f: FiringRef) {
  return {
    rule_id: f.rule.id,
    rule_name: f.rule.name,
    rule_version: f.rule.version,
    firing_id: f.firingId,
    triggering: f.triggering.map((t) => ({ seq: t.seq, hash: t.hash })),
  };
}

export async function runResponses(
  tx: Tx,
  orgId: string,
  f: FiringRef,
  audit: AuditInput[],
): Promise<ResponseResult[]> {
  const results: ResponseResult[] = [];
  for (const r of f.rule.spec.responses) {
    results.push(await runOne(tx, orgId, f, r, audit));
  }
  return results;
}

async function runOne(
  tx: Tx,
  orgId: string,
  f: FiringRef,
  r: AlertResponse,
  audit: AuditInput[],
): Promise<ResponseResult> {
  const e = f.event;
  const alert = alertRef(f);
  const record = (action: AuditEventName, target: { type: string; id: string }, data: Record<string, unknown>) =>
    audit.push({ orgId, actor: ALERTS_ACTOR, action, target, data: { ...data, alert } });

  switch (r.type) {
    case "lock_user": {
      const userId = subjectId(e, r.subject, "user");
      if (!userId) return { type: r.type, status: "skipped", detail: `the event's ${r.subject} is not a user` };
      const until = new Date(Date.now() + r.duration_seconds * 1000);
      const n = await tx.$executeRaw`
        INSERT INTO member_locks (org_id, user_id, locked_until, reason)
        SELECT ${orgId}::uuid, m.user_id, ${until}, ${`alert: ${f.rule.name}`.slice(0, 500)}
        FROM memberships m WHERE m.org_id = ${orgId}::uuid AND m.user_id = ${userId}::uuid
        ON CONFLICT (org_id, user_id) DO UPDATE
          SET locked_until = greatest(member_locks.locked_until, EXCLUDED.locked_until), reason = EXCLUDED.reason`;
      if (n === 0) return { type: r.type, status: "skipped", detail: "not a member of this organization" };
      record("member.locked", { type: "user", id: userId }, { locked_until: until.toISOString() });
      return { type: r.type, status: "done", detail: `user ${userId} locked until ${until.toISOString()}` };
    }
    case "require_step_up": {
      const sessionId = subjectId(e, r.subject, "session");
      if (!sessionId) return { type: r.type, status: "skipped", detail: `the event's ${r.subject} is not a session` };
      const [row] = await tx.$queryRaw<{ user_id: string | null; outcome: string }[]>`
        SELECT user_id::text, outcome FROM warden_require_session_step_up(${sessionId}::uuid)`;
      const outcome = row?.outcome ?? "unknown";
      if (outcome !== "required") {
        const why: Record<string, string> = {
          unknown: "not a session of a member of this organization",
          ended: "the session has already ended",
          already: "the session is already waiting for a second factor",
          no_factor: "the person has no second factor to step up with",
        };
        return { type: r.type, status: "skipped", detail: why[outcome] ?? outcome };
      }
      record("auth.step_up_required", { type: "session", id: sessionId }, { user_id: row!.user_id });
      return { type: r.type, status: "done", detail: `session ${sessionId} must step up before it continues` };
    }
    case "suspend_key": {
      const keyId = subjectId(e, r.subject, "api_key");
      if (!keyId) return { type: r.type, status: "skipped", detail: `the event's ${r.subject} is not an API key` };
      const n = await tx.$executeRaw`
        UPDATE api_keys SET suspended_at = now(), suspend_reason = ${`alert: ${f.rule.name}`.slice(0, 500)}
        WHERE org_id = ${orgId}::uuid AND id = ${keyId}::uuid AND revoked_at IS NULL AND suspended_at IS NULL`;
      if (n === 0) return { type: r.type, status: "skipped", detail: "the key is revoked, suspended or unknown" };
      record("api_key.suspended", { type: "api_key", id: keyId }, {});
      return { type: r.type, status: "done", detail: `key ${keyId} suspended until an admin reinstates it` };
    }
    case "throttle_key": {
      const keyId = subjectId(e, r.subject, "api_key");
      if (!keyId) return { type: r.type, status: "skipped", detail: `the event's ${r.subject} is not an API key` };
      const until = new Date(Date.now() + r.duration_seconds * 1000);
      const n = await tx.$executeRaw`
        UPDATE api_keys SET throttle_per_minute = ${r.per_minute}, throttled_until = ${until}
        WHERE org_id = ${orgId}::uuid AND id = ${keyId}::uuid AND revoked_at IS NULL`;
      if (n === 0) return { type: r.type, status: "skipped", detail: "the key is revoked or unknown" };
      record(
        "api_key.throttled",
        { type: "api_key", id: keyId },
        { per_minute: r.per_minute, until: until.toISOString() },
      );
      return {
        type: r.type,
        status: "done",
        detail: `key ${keyId} limited to ${r.per_minute}/min until ${until.toISOString()}`,
      };
    }
    case "disable_agent": {
      let agentId: string | null = null;
      if (r.subject === "data.agent_id") {
        const v = e.data.agent_id;
        agentId = typeof v === "string" && UUID.test(v) ? v : null;
      } else {
        agentId = subjectId(e, r.subject, "agent");
        const keyId = agentId ? null : subjectId(e, r.subject, "api_key");
        if (keyId) {
          const rows = await tx.$queryRaw<{ agent_id: string | null }[]>`
            SELECT agent_id::text FROM api_keys WHERE org_id = ${orgId}::uuid AND id = ${keyId}::uuid`;
          agentId = rows[0]?.agent_id ?? null;
        }
      }
      if (!agentId) return { type: r.type, status: "skipped", detail: "no agent named by the event" };
      const n = await tx.$executeRaw`
        UPDATE agents SET disabled_at = now(), updated_at = now()
        WHERE org_id = ${orgId}::uuid AND id = ${agentId}::uuid AND disabled_at IS NULL`;
      if (n === 0) return { type: r.type, status: "skipped", detail: "the agent is already disabled or unknown" };
      record("agent.disabled", { type: "agent", id: agentId }, {});
      return { type: r.type, status: "done", detail: `agent ${agentId} disabled` };
    }
    case "require_approval": {
      const exportId = subjectId(e, "target", "audit_export");
      if (e.action !== "audit.export_requested" || !exportId) {
        return { type: r.type, status: "skipped", detail: "require_approval applies to audit exports only" };
      }
      const until = new Date(Date.now() + r.expires_in_seconds * 1000);
      const n = await tx.$executeRaw`
        UPDATE audit_export_requests
        SET status = 'pending_approval', approval_expires_at = ${until}, firing_id = ${f.firingId}::uuid
        WHERE org_id = ${orgId}::uuid AND id = ${exportId}::uuid AND status = 'ready'`;
      if (n === 0) return { type: r.type, status: "skipped", detail: "the export is no longer waiting to start" };
      record(
        "audit.export_approval_requested",
        { type: "audit_export", id: exportId },
        { expires_at: until.toISOString(), estimated_bytes: e.data.estimated_bytes ?? null },
      );
      return {
        type: r.type,
        status: "done",
        detail: `export ${exportId} waits for an approval until ${until.toISOString()}`,
      };
    }
    case "notify": {
      const users = await recipients(tx, orgId, e, r.recipients);
      if (users.length > 0) {
        await tx.$executeRaw`
          INSERT INTO notifications (org_id, user_id, firing_id, severity, title, body)
          SELECT ${orgId}::uuid, u, ${f.firingId}::uuid, ${f.severity}, ${f.rule.name.slice(0, 200)}, ${f.summary.slice(0, 2000)}
          FROM unnest(${users}::uuid[]) AS u`;
      }
      const channels = await enqueueDeliveries(tx, orgId, r.channels, {
        eventType: "alert.fired",
        firingId: f.firingId,
        payload: {
          type: "alert.fired",
          firing_id: f.firingId,
          rule: { id: f.rule.id, name: f.rule.name, version: f.rule.version },
          severity: f.severity,
          summary: f.summary,
          triggering: f.triggering,
        },
      });
      record(
        "alert.notified",
        { type: "alert_firing", id: f.firingId },
        { members: users.length, channels: channels.length },
      );
      return { type: r.type, status: "done", detail: `${users.length} member(s), ${channels.length} channel(s)` };
    }
  }
}

async function recipients(tx: Tx, orgId: string, e: AlertEvent, kinds: readonly string[]): Promise<string[]> {
  const ids = new Set<string>();
  if (kinds.includes("admins")) {
    const rows = await tx.$queryRaw<{ user_id: string }[]>`
      SELECT user_id::text FROM memberships WHERE org_id = ${orgId}::uuid AND role = 'admin' AND accepted_at IS NOT NULL`;
    for (const r of rows) ids.add(r.user_id);
  }
  const candidates: string[] = [];
  if (kinds.includes("actor") && e.actor.type === "user" && e.actor.id && UUID.test(e.actor.id))
    candidates.push(e.actor.id);
  if (kinds.includes("key_creator")) {
    const keyId = subjectId(e, "actor", "api_key") ?? subjectId(e, "target", "api_key");
    if (keyId) {
      const rows = await tx.$queryRaw<{ created_by_user_id: string | null }[]>`
        SELECT created_by_user_id::text FROM api_keys WHERE org_id = ${orgId}::uuid AND id = ${keyId}::uuid`;
      if (rows[0]?.created_by_user_id) candidates.push(rows[0].created_by_user_id);
    }
  }
  if (candidates.length > 0) {
    // Only members of this organization (who accepted) get its notifications.
    const rows = await tx.$queryRaw<{ user_id: string }[]>`
      SELECT user_id::text FROM memberships
      WHERE org_id = ${orgId}::uuid AND user_id = ANY(${candidates}::uuid[]) AND accepted_at IS NOT NULL`;
    for (const r of rows) ids.add(r.user_id);
  }
  return [...ids];
}
