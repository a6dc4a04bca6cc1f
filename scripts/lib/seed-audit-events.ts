/**
 * Bulk-appends synthetic audit events to an organization's chain, as the
 * owner/migrator, for benchmarks and tests that need a large log quickly
 * (a million events in about a minute rather than an hour of single appends).
 *
 * The events are real chain links: each hash is SHA-256(prev_hash ‖ RFC 8785
 * canonical JSON of the event), computed here with the same code
 * (lib/audit/event.ts) the app and the verifiers use, continuing from the
 * organization's current head. Rows go in with multi-row INSERT … SELECT
 * unnest(…) statements of `batch` rows, and the head row is advanced in the
 * same transaction as each batch, so the chain verifies at every commit.
 * Needs a role that passes RLS on audit_events/audit_heads (the owner in a
 * local database is a superuser). Refuses nothing itself: callers decide
 * which database is acceptable.
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { canonicalEvent, chainHash, type HashedEvent } from "../../lib/audit/event";

export type SeedOptions = {
  batch?: number;
  /** Time of the first seeded event; later ones follow one millisecond apart. */
  startAt?: Date;
  /** Builds the varying part of event i (0-based among the seeded ones). */
  make?: (i: number) => Pick<HashedEvent, "actor" | "action" | "target" | "data">;
  onProgress?: (done: number) => void;
};

const ACTIONS = ["member.role_changed", "auth.sign_in", "auth.sign_out", "test.synthetic"];

function defaultMake(i: number): Pick<HashedEvent, "actor" | "action" | "target" | "data"> {
  return {
    actor: {
      type: i % 5 === 0 ? "system" : "user",
      id: i % 5 === 0 ? null : `00000000-0000-4000-8000-${String(i % 97).padStart(12, "0")}`,
    },
    action: ACTIONS[i % ACTIONS.length]!,
    target: { type: "user", id: `00000000-0000-4000-9000-${String(i % 1009).padStart(12, "0")}` },
    data: { i, note: `synthetic event ${i}`, from: "viewer", to: i % 2 ? "auditor" : "approver" },
  };
}

export async function seedAuditEvents(
  pool: pg.Pool,
  orgId: string,
  count: number,
  opts: SeedOptions = {},
): Promise<{ headSeq: number; headHash: string }> {
  const batch = opts.batch ?? 5000;
  const make = opts.make ?? defaultMake;
  const head = (await pool.query(`SELECT seq, hash FROM audit_heads WHERE org_id = $1`, [orgId])).rows[0] as
    { seq: string; hash: string } | undefined;
  if (!head) throw new Error(`organization ${orgId} has no audit head`);
  let seq = Number(head.seq);
  let prev = head.hash;
  let t = (opts.startAt ?? new Date()).getTime();
  let done = 0;

  while (done < count) {
    const n = Math.min(batch, count - done);
    const cols = {
      seq: [] as string[],
      id: [] as string[],
      occurred: [] as string[],
      actorType: [] as string[],
      actorId: [] as (string | null)[],
      action: [] as string[],
      targetType: [] as (string | null)[],
      targetId: [] as (string | null)[],
      data: [] as string[],
      prev: [] as string[],
      hash: [] as string[],
    };
    for (let j = 0; j < n; j++) {
      const spec = make(done + j);
      const event: HashedEvent = {
        v: 1,
        id: randomUUID(),
        org_id: orgId,
        occurred_at: new Date(t++).toISOString(),
        actor: spec.actor,
        action: spec.action,
        target: spec.target,
        ip: null,
        data: spec.data,
      };
      const hash = chainHash(prev, canonicalEvent(event));
      seq += 1;
      cols.seq.push(String(seq));
      cols.id.push(event.id);
      cols.occurred.push(event.occurred_at);
      cols.actorType.push(event.actor.type);
      cols.actorId.push(event.actor.id);
      cols.action.push(event.action);
      cols.targetType.push(event.target.type);
      cols.targetId.push(event.target.id);
      cols.data.push(JSON.stringify(event.data));
      cols.prev.push(prev);
      cols.hash.push(hash);
      prev = hash;
    }
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO audit_events (org_id, seq, id, occurred_at, actor_type, actor_id, action, target_type, target_id, ip, data, prev_hash, hash)
         SELECT $1::uuid, s, i, o, at, ai, a, tt, ti, NULL, d::jsonb, p, h
         FROM unnest($2::bigint[], $3::uuid[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
           AS x(s, i, o, at, ai, a, tt, ti, d, p, h)`,
        [
          orgId,
          cols.seq,
          cols.id,
          cols.occurred,
          cols.actorType,
          cols.actorId,
          cols.action,
          cols.targetType,
          cols.targetId,
          cols.data,
          cols.prev,
          cols.hash,
        ],
      );
      const moved = await client.query(
        `UPDATE audit_heads SET seq = $2, hash = $3, updated_at = now() WHERE org_id = $1 AND seq = $4`,
        [orgId, seq, prev, seq - n],
      );
      if (moved.rowCount !== 1) throw new Error("the chain head moved while seeding (a concurrent append?)");
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK");
      throw e;
    } finally {
      client.release();
    }
    done += n;
    opts.onProgress?.(done);
  }
  return { headSeq: seq, headHash: prev };
}
