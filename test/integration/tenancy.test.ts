import { randomUUID } from "node:crypto";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db/client";
import { appClient, closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { createKey } from "../helpers/keys";
import { createAgentWithKey, publishPolicy } from "../helpers/firewall";
import { sessionCookie, call } from "../helpers/http";
import { POST as submitAction } from "@/app/api/v1/actions/route";
import { POST as approveApproval } from "@/app/api/v1/approvals/[id]/approve/route";
import { createChannel, sendTestMessage } from "@/lib/alerts/channels";
import { evaluateOrganization } from "@/lib/alerts/evaluate-alerts";
import { createSilence } from "@/lib/alerts/history";
import { createRule } from "@/lib/alerts/rules";
import { memberContext } from "../helpers/keys";

/**
 * The wall itself, tested in SQL as the app role (not through Prisma): for each
 * tenant table and each verb, organization B cannot touch organization A's
 * rows, and without a tenant nothing is visible or writable. The suite runs
 * twice, once from each side.
 */
let client: pg.Client;
let a: TestOrg;
let b: TestOrg;
// Each organization's SSO connection (the SSO rows hang off it).
const ssoIds = new Map<string, string>();

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("wall-a"), createTestOrg("wall-b")]);
  client = await appClient();
  await Promise.all([createKey(a), createKey(b)]);
  // One of everything in both organizations: agents, a policy, actions with an
  // approval and a decision, a checkpoint row and a Merkle node.
  for (const t of [a, b]) {
    await publishPolicy(t, [{ name: "ask", condition: "true", effect: "require_approval" }]);
    const agent = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
    const submitted = await call(submitAction, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.token}` },
      body: { tool: "payments", operation: "x" },
    });
    const cookie = (await sessionCookie(t.users.approver.id)).cookie;
    await call(approveApproval, {
      method: "POST",
      cookie,
      org: t.org.slug,
      params: { id: submitted.json.approval.id },
      body: { reason: "ok" },
    });
    await call(submitAction, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.token}` },
      body: { tool: "payments", operation: "y" },
    });
    await owner().query(
      `INSERT INTO audit_checkpoints (org_id, tree_size, root_hash, key_id, signed, reason) VALUES ($1, 1, repeat('a', 64), repeat('b', 16), '{}', 'on_demand')`,
      [t.org.id],
    );
    await owner().query(
      `INSERT INTO audit_merkle_nodes (org_id, level, idx, hash) VALUES ($1, 8, 0, repeat('c', 64))`,
      [t.org.id],
    );
  }
  // Alerts: a rule, a channel, a firing with its groups, cursor, notification
  // and delivery, a silence, a key address and a member lock, in both.
  for (const t of [a, b]) {
    const ctx = memberContext(t);
    const channel = await createChannel(ctx, { kind: "slack", name: "wall", url: "https://hooks.example.test/x" });
    const rule = await createRule(ctx, {
      name: "keys",
      mode: "active",
      spec: {
        actions: ["api_key.created"],
        condition: "true",
        responses: [{ type: "notify", recipients: ["admins"], channels: [channel.id] }],
      },
    });
    await createKey(t);
    await evaluateOrganization(t.org.id);
    await sendTestMessage(ctx, channel.id);
    await createSilence(ctx, { rule_id: rule.id, reason: "wall", duration_seconds: 600 });
    const key = await createKey(t);
    await owner().query(`INSERT INTO api_key_addresses (org_id, key_id, ip) VALUES ($1, $2, '192.0.2.1')`, [
      t.org.id,
      key.id,
    ]);
    await owner().query(
      `INSERT INTO member_locks (org_id, user_id, locked_until, reason) VALUES ($1, $2, now() - interval '1 minute', 'wall')`,
      [t.org.id, t.users.viewer.id],
    );
    await owner().query(
      `INSERT INTO audit_export_requests (org_id, requested_by_user_id, format, through_seq, estimated_events, estimated_bytes, status)
       VALUES ($1, $2, 'jsonl', 0, 0, 0, 'ready')`,
      [t.org.id, t.users.auditor.id],
    );
  }
  // Security posture: a snapshot in both.
  for (const t of [a, b]) {
    await owner().query(
      `INSERT INTO security_posture_snapshots (org_id, reason, score, passed, failed, not_available, report)
       VALUES ($1, 'manual', 50, 1, 1, 0, '{}')`,
      [t.org.id],
    );
  }
  // SSO: a connection with a domain, a request in flight, an identity, a seen
  // assertion and a role request, in both.
  for (const t of [a, b]) {
    const id = randomUUID();
    ssoIds.set(t.org.id, id);
    await owner().query(`INSERT INTO sso_connections (id, org_id, protocol, name) VALUES ($1, $2, 'oidc', 'wall')`, [
      id,
      t.org.id,
    ]);
    await owner().query(
      `INSERT INTO sso_domains (org_id, domain, verification_token) VALUES ($1, $2, repeat('b', 32))`,
      [t.org.id, `${t.org.slug}.example`],
    );
    await owner().query(
      `INSERT INTO sso_auth_requests (org_id, connection_id, purpose, state_hash, binding_hash, expires_at)
       VALUES ($1, $2, 'sign_in', repeat('a', 64), repeat('a', 64), now() + interval '1 minute')`,
      [t.org.id, id],
    );
    await owner().query(
      `INSERT INTO sso_identities (org_id, connection_id, subject, user_id) VALUES ($1, $2, 's', $3)`,
      [t.org.id, id, t.users.viewer.id],
    );
    await owner().query(
      `INSERT INTO sso_replay_cache (org_id, connection_id, assertion_id, expires_at) VALUES ($1, $2, 'x', now())`,
      [t.org.id, id],
    );
    await owner().query(
      `INSERT INTO sso_role_requests (org_id, user_id, connection_id, role) VALUES ($1, $2, $3, 'admin')`,
      [t.org.id, t.users.viewer.id, id],
    );
  }
  // SCIM: a token and a managed person, in both.
  for (const t of [a, b]) {
    await owner().query(
      `INSERT INTO scim_tokens (org_id, name, secret_hash, last4) VALUES ($1, 'wall', repeat('d', 64), 'wall')`,
      [t.org.id],
    );
    await owner().query(`INSERT INTO scim_users (org_id, user_id, user_name) VALUES ($1, $2, $3)`, [
      t.org.id,
      t.users.viewer.id,
      t.users.viewer.email,
    ]);
    const g = await owner().query(`INSERT INTO scim_groups (org_id, display_name) VALUES ($1, 'wall') RETURNING id`, [
      t.org.id,
    ]);
    await owner().query(`INSERT INTO scim_group_members (org_id, group_id, user_id) VALUES ($1, $2, $3)`, [
      t.org.id,
      g.rows[0].id,
      t.users.viewer.id,
    ]);
  }
  for (const t of [a, b]) {
    await inScope(
      t.org.id,
      null,
      (c) =>
        c.query(
          `INSERT INTO invitations (org_id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + interval '1 day')`,
          [t.org.id, t.users.viewer.id, randomUUID().replace(/-/g, "").padEnd(64, "0")],
        ),
      true,
    );
  }
});

afterAll(async () => {
  await client.end();
  await closeOwner();
  await closeDb();
});

type Outcome = { rows: number } | { error: string };

/** Runs one statement in a transaction scoped to (org, user); rolls back unless told to commit. */
async function inScope(
  orgId: string | null,
  userId: string | null,
  fn: (c: pg.Client) => Promise<pg.QueryResult>,
  commit = false,
): Promise<Outcome> {
  await client.query("BEGIN");
  try {
    await client.query(`SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)`, [
      orgId ?? "",
      userId ?? "",
    ]);
    const r = await fn(client);
    await client.query(commit ? "COMMIT" : "ROLLBACK");
    return { rows: r.rowCount ?? r.rows.length };
  } catch (e) {
    await client.query("ROLLBACK");
    return { error: (e as { code?: string }).code ?? "unknown" };
  }
}

const refused = (o: Outcome) => "error" in o && o.error === "42501";
const nothing = (o: Outcome) => ("rows" in o && o.rows === 0) || refused(o);

type TableSpec = {
  table: string;
  key: string; // column naming the organization
  insert: (victim: TestOrg, attacker: TestOrg) => [string, unknown[]];
  canUpdate: boolean;
};

const TABLES: TableSpec[] = [
  {
    table: "organizations",
    key: "id",
    insert: (v) => [
      `INSERT INTO organizations (id, slug, name) VALUES ($1, $2, 'x')`,
      [v.org.id, `dup-${randomUUID().slice(0, 8)}`],
    ],
    canUpdate: true,
  },
  {
    table: "memberships",
    key: "org_id",
    insert: (v, atk) => [
      `INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'admin')`,
      [v.org.id, atk.users.admin.id],
    ],
    canUpdate: true,
  },
  {
    table: "invitations",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO invitations (org_id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + interval '1 day')`,
      [v.org.id, v.users.viewer.id, "ab".repeat(32)],
    ],
    canUpdate: true,
  },
  {
    table: "api_keys",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO api_keys (org_id, environment, secret_hash, last4, name, scopes) VALUES ($1, 'live', repeat('a', 64), 'abcd', 'forged', '{keys:write}')`,
      [v.org.id],
    ],
    canUpdate: true,
  },
  {
    table: "agents",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO agents (org_id, slug, name, environment) VALUES ($1, 'forged', 'Forged', 'production')`,
      [v.org.id],
    ],
    canUpdate: true,
  },
  {
    table: "policy_versions",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO policy_versions (org_id, version, rules, status) VALUES ($1, 9999, '[{"name":"x","condition":"true","effect":"allow"}]', 'draft')`,
      [v.org.id],
    ],
    canUpdate: true,
  },
  {
    table: "actions",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO actions (org_id, agent_id, api_key_id, tool, operation, payload_hash, payload_bytes, status, effect, risk_level, reason, decided_by, response)
       SELECT $1, ag.id, k.id, 'payments', 'forged', repeat('0', 64), 0, 'allowed', 'allow', 'low', 'forged', 'policy', '{}'
       FROM (SELECT gen_random_uuid() AS id) ag, (SELECT gen_random_uuid() AS id) k`,
      [v.org.id],
    ],
    canUpdate: true,
  },
  {
    table: "approvals",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO approvals (org_id, action_id, status, approvals_required, payload_hash, expires_at) VALUES ($1, gen_random_uuid(), 'approved', 1, repeat('0', 64), now())`,
      [v.org.id],
    ],
    canUpdate: true,
  },
  {
    table: "approval_decisions",
    key: "org_id",
    insert: (v, atk) => [
      `INSERT INTO approval_decisions (org_id, approval_id, approver_id, decision, reason, payload_hash) VALUES ($1, gen_random_uuid(), $2, 'approved', 'forged', repeat('0', 64))`,
      [v.org.id, atk.users.approver.id],
    ],
    canUpdate: false,
  },
  {
    table: "audit_checkpoints",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO audit_checkpoints (org_id, tree_size, root_hash, key_id, signed, reason) VALUES ($1, 1, repeat('d', 64), repeat('e', 16), '{}', 'on_demand')`,
      [v.org.id],
    ],
    canUpdate: false,
  },
  {
    table: "audit_merkle_nodes",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO audit_merkle_nodes (org_id, level, idx, hash) VALUES ($1, 9, 0, repeat('f', 64))`,
      [v.org.id],
    ],
    canUpdate: false,
  },
  {
    table: "audit_heads",
    key: "org_id",
    insert: (v) => [`INSERT INTO audit_heads (org_id) VALUES ($1)`, [v.org.id]],
    canUpdate: true,
  },
  {
    table: "audit_events",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO audit_events (org_id, seq, id, occurred_at, actor_type, action, prev_hash, hash)
       VALUES ($1, 999999, gen_random_uuid(), now(), 'system', 'x.forged', repeat('0', 64), repeat('1', 64))`,
      [v.org.id],
    ],
    canUpdate: false,
  },
  {
    table: "alert_rules",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO alert_rules (org_id, name, mode, version) VALUES ($1, 'forged', 'active', 1)`,
      [v.org.id],
    ],
    canUpdate: true,
  },
  {
    table: "alert_rule_versions",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO alert_rule_versions (org_id, rule_id, version, spec) VALUES ($1, gen_random_uuid(), 9, '{}')`,
      [v.org.id],
    ],
    canUpdate: false,
  },
  {
    table: "alert_cursors",
    key: "org_id",
    insert: (v) => [`INSERT INTO alert_cursors (org_id, seq) VALUES ($1, 0)`, [v.org.id]],
    canUpdate: true,
  },
  {
    table: "alert_groups",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO alert_groups (org_id, rule_id, group_key, status) VALUES ($1, gen_random_uuid(), 'x', 'idle')`,
      [v.org.id],
    ],
    canUpdate: true,
  },
  {
    table: "alert_firings",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO alert_firings (org_id, rule_id, rule_version, group_key, dedup_key, outcome, status, severity, summary, triggering, window_start)
       VALUES ($1, gen_random_uuid(), 1, '[]', 'forged', 'executed', 'firing', 'info', 'forged', '[]', now())`,
      [v.org.id],
    ],
    canUpdate: true,
  },
  {
    table: "alert_silences",
    key: "org_id",
    insert: (v, atk) => [
      `INSERT INTO alert_silences (org_id, reason, created_by_user_id, expires_at) VALUES ($1, 'forged', $2, now() + interval '1 day')`,
      [v.org.id, atk.users.admin.id],
    ],
    canUpdate: true,
  },
  {
    table: "alert_channels",
    key: "org_id",
    insert: (v) => [`INSERT INTO alert_channels (org_id, kind, name) VALUES ($1, 'email', 'forged')`, [v.org.id]],
    canUpdate: true,
  },
  {
    table: "alert_deliveries",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO alert_deliveries (org_id, channel_id, event_type, payload, status) VALUES ($1, gen_random_uuid(), 'alert.test', '{}', 'pending')`,
      [v.org.id],
    ],
    canUpdate: true,
  },
  {
    table: "notifications",
    key: "org_id",
    insert: (v, atk) => [
      `INSERT INTO notifications (org_id, user_id, severity, title, body) VALUES ($1, $2, 'info', 'forged', 'forged')`,
      [v.org.id, atk.users.admin.id],
    ],
    canUpdate: true,
  },
  {
    table: "api_key_addresses",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO api_key_addresses (org_id, key_id, ip) VALUES ($1, gen_random_uuid(), '203.0.113.9')`,
      [v.org.id],
    ],
    canUpdate: false,
  },
  {
    table: "audit_export_requests",
    key: "org_id",
    insert: (v, atk) => [
      `INSERT INTO audit_export_requests (org_id, requested_by_user_id, format, through_seq, estimated_events, estimated_bytes, status)
       VALUES ($1, $2, 'jsonl', 0, 0, 0, 'approved')`,
      [v.org.id, atk.users.admin.id],
    ],
    canUpdate: true,
  },
  {
    table: "member_locks",
    key: "org_id",
    insert: (v, atk) => [
      `INSERT INTO member_locks (org_id, user_id, locked_until, reason) VALUES ($1, $2, now() + interval '1 day', 'forged')`,
      [v.org.id, atk.users.admin.id],
    ],
    canUpdate: true,
  },
  {
    table: "sso_connections",
    key: "org_id",
    insert: (v) => [`INSERT INTO sso_connections (org_id, protocol, name) VALUES ($1, 'oidc', 'forged')`, [v.org.id]],
    canUpdate: true,
  },
  {
    table: "sso_domains",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO sso_domains (org_id, domain, verification_token) VALUES ($1, 'forged.example', repeat('a', 32))`,
      [v.org.id],
    ],
    canUpdate: true,
  },
  {
    table: "sso_auth_requests",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO sso_auth_requests (org_id, connection_id, purpose, state_hash, binding_hash, expires_at)
       VALUES ($1, $2, 'sign_in', repeat('f', 64), repeat('f', 64), now() + interval '1 minute')`,
      [v.org.id, ssoIds.get(v.org.id)],
    ],
    canUpdate: true,
  },
  {
    table: "sso_identities",
    key: "org_id",
    insert: (v, atk) => [
      `INSERT INTO sso_identities (org_id, connection_id, subject, user_id) VALUES ($1, $2, 'forged', $3)`,
      [v.org.id, ssoIds.get(v.org.id), atk.users.admin.id],
    ],
    canUpdate: true,
  },
  {
    table: "sso_replay_cache",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO sso_replay_cache (org_id, connection_id, assertion_id, expires_at) VALUES ($1, $2, 'forged', now())`,
      [v.org.id, ssoIds.get(v.org.id)],
    ],
    canUpdate: false,
  },
  {
    table: "security_posture_snapshots",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO security_posture_snapshots (org_id, reason, score, passed, failed, not_available, report)
       VALUES ($1, 'manual', 100, 9, 0, 0, '{}')`,
      [v.org.id],
    ],
    canUpdate: false,
  },
  {
    table: "sso_role_requests",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO sso_role_requests (org_id, user_id, connection_id, role) VALUES ($1, $2, $3, 'admin')`,
      [v.org.id, v.users.viewer.id, ssoIds.get(v.org.id)],
    ],
    canUpdate: true,
  },
  {
    table: "scim_tokens",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO scim_tokens (org_id, name, secret_hash, last4) VALUES ($1, 'forged', repeat('e', 64), 'abcd')`,
      [v.org.id],
    ],
    canUpdate: true,
  },
  {
    table: "scim_groups",
    key: "org_id",
    insert: (v) => [`INSERT INTO scim_groups (org_id, display_name) VALUES ($1, 'forged')`, [v.org.id]],
    canUpdate: true,
  },
  {
    table: "scim_group_members",
    key: "org_id",
    insert: (v) => [
      `INSERT INTO scim_group_members (org_id, group_id, user_id)
       SELECT $1, gen_random_uuid(), $2`,
      [v.org.id, v.users.viewer.id],
    ],
    canUpdate: false,
  },
  {
    table: "scim_users",
    key: "org_id",
    insert: (v, atk) => [
      `INSERT INTO scim_users (org_id, user_id, user_name) VALUES ($1, $2, 'forged@example.com')`,
      [v.org.id, atk.users.admin.id],
    ],
    canUpdate: true,
  },
];

async function ownerCount(table: string, key: string, orgId: string): Promise<number> {
  const r = await owner().query(`SELECT count(*)::int AS n FROM ${table} WHERE ${key} = $1`, [orgId]);
  return r.rows[0].n as number;
}

describe.each([
  ["A attacked from B", () => ({ victim: a, attacker: b })],
  ["B attacked from A", () => ({ victim: b, attacker: a })],
])("%s", (_label, sides) => {
  describe.each(TABLES)("$table", (spec) => {
    it("SELECT: the other organization's rows are invisible; its own are visible", async () => {
      const { victim, attacker } = sides();
      expect(await ownerCount(spec.table, spec.key, victim.org.id)).toBeGreaterThan(0);
      const theirs = await inScope(attacker.org.id, attacker.users.admin.id, (c) =>
        c.query(`SELECT 1 FROM ${spec.table} WHERE ${spec.key} = $1`, [victim.org.id]),
      );
      expect(theirs).toEqual({ rows: 0 });
      const all = await inScope(attacker.org.id, attacker.users.admin.id, (c) =>
        c.query(`SELECT ${spec.key} AS k FROM ${spec.table}`),
      );
      expect("rows" in all && all.rows).toBeGreaterThan(0);
      const leaked = await inScope(attacker.org.id, attacker.users.admin.id, (c) =>
        c.query(`SELECT 1 FROM ${spec.table} WHERE ${spec.key} <> $1`, [attacker.org.id]),
      );
      expect(leaked).toEqual({ rows: 0 });
    });

    it("INSERT: a row for the other organization is refused by the policy", async () => {
      const { victim, attacker } = sides();
      const [sql, params] = spec.insert(victim, attacker);
      const r = await inScope(attacker.org.id, attacker.users.admin.id, (c) => c.query(sql, params));
      expect(refused(r), JSON.stringify(r)).toBe(true);
    });

    it("UPDATE: the other organization's rows cannot be changed", async () => {
      const { victim, attacker } = sides();
      const before = await owner().query(`SELECT * FROM ${spec.table} WHERE ${spec.key} = $1 ORDER BY 1`, [
        victim.org.id,
      ]);
      const col = spec.table === "audit_events" ? "action" : spec.key === "id" ? "name" : "org_id";
      const r = await inScope(attacker.org.id, attacker.users.admin.id, (c) =>
        c.query(`UPDATE ${spec.table} SET ${col} = ${col} WHERE ${spec.key} = $1`, [victim.org.id]),
      );
      expect(nothing(r), JSON.stringify(r)).toBe(true);
      const after = await owner().query(`SELECT * FROM ${spec.table} WHERE ${spec.key} = $1 ORDER BY 1`, [
        victim.org.id,
      ]);
      expect(after.rows).toEqual(before.rows);
    });

    it("UPDATE: an own row cannot be moved into the other organization", async () => {
      if (!spec.canUpdate) return;
      const { victim, attacker } = sides();
      const r = await inScope(attacker.org.id, attacker.users.admin.id, (c) =>
        c.query(`UPDATE ${spec.table} SET ${spec.key} = $1 WHERE ${spec.key} = $2`, [victim.org.id, attacker.org.id]),
      );
      expect("error" in r, JSON.stringify(r)).toBe(true);
    });

    it("DELETE: the other organization's rows cannot be deleted", async () => {
      const { victim, attacker } = sides();
      const before = await ownerCount(spec.table, spec.key, victim.org.id);
      const r = await inScope(attacker.org.id, attacker.users.admin.id, (c) =>
        c.query(`DELETE FROM ${spec.table} WHERE ${spec.key} = $1`, [victim.org.id]),
      );
      expect(nothing(r), JSON.stringify(r)).toBe(true);
      expect(await ownerCount(spec.table, spec.key, victim.org.id)).toBe(before);
    });
  });
});

describe("no tenant set", () => {
  it.each(TABLES)("$table: reads return 0 rows and writes fail", async (spec) => {
    expect(await inScope(null, null, (c) => c.query(`SELECT 1 FROM ${spec.table}`))).toEqual({ rows: 0 });
    const [sql, params] = spec.insert(a, b);
    expect(refused(await inScope(null, null, (c) => c.query(sql, params)))).toBe(true);
    // Outside any transaction at all (autocommit, settings never set on this connection's session).
    const bare = await client.query(`SELECT count(*)::int AS n FROM ${spec.table}`);
    expect(bare.rows[0].n).toBe(0);
  });
});

describe("users and sessions (user-scoped global tables)", () => {
  it("a user sees themself and members of the current organization, no one else", async () => {
    const visible = await inScope(b.org.id, b.users.admin.id, (c) =>
      c.query(`SELECT id FROM users WHERE id = ANY($1)`, [[a.users.admin.id, b.users.viewer.id]]),
    );
    expect(visible).toEqual({ rows: 1 });
    expect(await inScope(null, null, (c) => c.query(`SELECT 1 FROM users`))).toEqual({ rows: 0 });
  });

  it("a user can update only their own identity", async () => {
    const other = await inScope(b.org.id, b.users.admin.id, (c) =>
      c.query(`UPDATE users SET name = 'pwned' WHERE id = $1`, [b.users.viewer.id]),
    );
    expect(other).toEqual({ rows: 0 });
    const foreign = await inScope(b.org.id, b.users.admin.id, (c) =>
      c.query(`UPDATE users SET password_hash = 'x' WHERE id = $1`, [a.users.admin.id]),
    );
    expect(foreign).toEqual({ rows: 0 });
    const self = await inScope(b.org.id, b.users.admin.id, (c) =>
      c.query(`UPDATE users SET name = name WHERE id = $1`, [b.users.admin.id]),
    );
    expect(self).toEqual({ rows: 1 });
  });

  it("sessions of another user are invisible and cannot be created, changed or revoked", async () => {
    await owner().query(`INSERT INTO sessions (user_id, token_hash) VALUES ($1, $2)`, [
      a.users.admin.id,
      "cd".repeat(32),
    ]);
    const read = await inScope(b.org.id, b.users.admin.id, (c) =>
      c.query(`SELECT 1 FROM sessions WHERE user_id = $1`, [a.users.admin.id]),
    );
    expect(read).toEqual({ rows: 0 });
    const ins = await inScope(b.org.id, b.users.admin.id, (c) =>
      c.query(`INSERT INTO sessions (user_id, token_hash) VALUES ($1, $2)`, [a.users.admin.id, "ef".repeat(32)]),
    );
    expect(refused(ins)).toBe(true);
    const upd = await inScope(b.org.id, b.users.admin.id, (c) =>
      c.query(`UPDATE sessions SET revoked_at = now() WHERE user_id = $1`, [a.users.admin.id]),
    );
    expect(upd).toEqual({ rows: 0 });
    const del = await inScope(b.org.id, b.users.admin.id, (c) =>
      c.query(`DELETE FROM sessions WHERE user_id = $1`, [a.users.admin.id]),
    );
    expect(nothing(del)).toBe(true);
  });

  it("the lookup functions cannot be used to write or to read beyond their columns", async () => {
    const r = await client.query(`SELECT * FROM warden_auth_user_by_email($1)`, [a.users.admin.email]);
    expect(Object.keys(r.rows[0]).sort()).toEqual(["email", "id", "name", "password_hash"]);
    await expect(client.query(`SELECT * FROM warden_user_memberships($1)`, ["not-a-uuid"])).rejects.toThrow();
  });
});
