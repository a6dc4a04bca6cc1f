import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as submitAction } from "@/app/api/v1/actions/route";
import { GET as getRuleRoute } from "@/app/api/v1/alerts/rules/[id]/route";
import { GET as getNotifications } from "@/app/api/v1/notifications/route";
import { evaluateOrganization } from "@/lib/alerts/evaluate-alerts";
import { createRule, updateRule } from "@/lib/alerts/rules";
import { createSilence } from "@/lib/alerts/history";
import { decideApproval } from "@/lib/approvals/decide-approval";
import { templateById } from "@/lib/alerts/templates";
import { signInWithPassword } from "@/lib/auth/sign-in";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, TEST_PASSWORD, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, publishPolicy, type TestAgent } from "../helpers/firewall";
import { call, sessionCookie } from "../helpers/http";
import { memberContext } from "../helpers/keys";

/**
 * The evaluator against the real chain: templates fire exactly once under a
 * burst, cooldown holds, a replay or an interrupted run neither loses nor
 * duplicates, concurrent evaluators do not double-fire, organizations stay
 * apart, and every response names the rule version and triggering events.
 */
let a: TestOrg;
let b: TestOrg;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestOrg("alerts-a"), createTestOrg("alerts-b")]);
  for (const t of [a, b]) await publishPolicy(t, [{ name: "no", condition: 'tool == "forbidden"', effect: "deny" }]);
});

afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function drain(orgId: string, opts: { batch?: number } = {}): Promise<number> {
  let events = 0;
  for (let i = 0; i < 1000; i++) {
    const r = await evaluateOrganization(orgId, opts);
    events += r.events;
    if (!r.more) break;
  }
  return events;
}

async function deny(agent: TestAgent, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await call(submitAction, {
      method: "POST",
      headers: { authorization: `Bearer ${agent.token}` },
      body: { tool: "forbidden", operation: `op-${i}` },
    });
    expect(r.status).toBe(201);
    expect(r.json.decision).toBe("deny");
  }
}

async function firings(orgId: string, ruleId: string) {
  return (
    await owner().query(
      `SELECT id, outcome, triggering, responses, dedup_key FROM alert_firings WHERE org_id = $1 AND rule_id = $2 ORDER BY fired_at, (triggering->0->>'seq')::bigint`,
      [orgId, ruleId],
    )
  ).rows as {
    id: string;
    dedup_key: string;
    outcome: string;
    triggering: { seq: number; hash: string }[];
    responses: { type: string; status: string }[];
  }[];
}

async function agentDisabled(orgId: string, agentId: string): Promise<boolean> {
  const r = await owner().query(`SELECT disabled_at FROM agents WHERE org_id = $1 AND id = $2`, [orgId, agentId]);
  return r.rows[0].disabled_at !== null;
}

async function createFromTemplate(t: TestOrg, template: string, mode: "active" | "shadow" = "active", name?: string) {
  return createRule(memberContext(t), {
    name: name ?? `${template}-${Math.random().toString(36).slice(2, 8)}`,
    template,
    mode,
    spec: templateById(template)!.spec,
  });
}

describe("agent denied repeatedly (count ≥ 10 in 10 min → disable, notify)", () => {
  it("fires exactly once under a burst of 25, disables the agent, notifies admins, and audits the response with its triggering events", async () => {
    const rule = await createFromTemplate(a, "agent_denied");
    const agent = await createAgentWithKey(a, { tools: { allowed: ["forbidden"] } });
    await deny(agent, 9);
    await drain(a.org.id);
    expect(await firings(a.org.id, rule.id)).toHaveLength(0);
    expect(await agentDisabled(a.org.id, agent.id)).toBe(false);

    await deny(agent, 1); // the 10th
    await drain(a.org.id);
    const fired = await firings(a.org.id, rule.id);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.outcome).toBe("executed");
    expect(fired[0]!.triggering).toHaveLength(10);
    expect(await agentDisabled(a.org.id, agent.id)).toBe(true);

    // The triggering events are the chain's own (seq and hash).
    for (const t of fired[0]!.triggering) {
      const e = await owner().query(`SELECT hash, action FROM audit_events WHERE org_id = $1 AND seq = $2`, [
        a.org.id,
        t.seq,
      ]);
      expect(e.rows[0]).toEqual({ hash: t.hash, action: "action.decided" });
    }
    const responseEvent = (
      await owner().query(
        `SELECT actor_type, actor_id, data FROM audit_events WHERE org_id = $1 AND action = 'agent.disabled' AND target_id = $2`,
        [a.org.id, agent.id],
      )
    ).rows;
    expect(responseEvent).toHaveLength(1);
    expect(responseEvent[0].actor_id).toBe("alerts");
    expect(responseEvent[0].data.alert).toMatchObject({
      rule_id: rule.id,
      rule_version: 1,
      firing_id: fired[0]!.id,
      triggering: fired[0]!.triggering,
    });

    // The admin's inbox has it; the viewer's does not.
    const admin = await sessionCookie(a.users.admin.id);
    const inbox = await call(getNotifications, { cookie: admin.cookie, org: a.org.slug });
    expect(inbox.status).toBe(200);
    expect(inbox.json.unread).toBeGreaterThanOrEqual(1);
    expect(inbox.json.items.some((n: { firing_id: string }) => n.firing_id === fired[0]!.id)).toBe(true);
    const viewer = await sessionCookie(a.users.viewer.id);
    const vInbox = await call(getNotifications, { cookie: viewer.cookie, org: a.org.slug });
    expect(vInbox.json.items.some((n: { firing_id: string }) => n.firing_id === fired[0]!.id)).toBe(false);

    // 15 more denials inside the cooldown: still one firing.
    await owner().query(`UPDATE agents SET disabled_at = NULL WHERE id = $1`, [agent.id]);
    await deny(agent, 15);
    await drain(a.org.id);
    expect(await firings(a.org.id, rule.id)).toHaveLength(1);
  });

  it("the other organization sees nothing of it: no firing, and its rule id answers 404", async () => {
    const rule = await createFromTemplate(a, "agent_denied");
    const agentB = await createAgentWithKey(b, { tools: { allowed: ["forbidden"] } });
    const ruleB = await createFromTemplate(b, "agent_denied");
    const agentA = await createAgentWithKey(a, { tools: { allowed: ["forbidden"] } });
    await deny(agentA, 10);
    await deny(agentB, 3);
    await Promise.all([drain(a.org.id), drain(b.org.id)]);
    expect(await firings(a.org.id, rule.id)).toHaveLength(1);
    expect(await firings(b.org.id, ruleB.id)).toHaveLength(0);
    expect(await agentDisabled(b.org.id, agentB.id)).toBe(false);
    const bAdmin = await sessionCookie(b.users.admin.id);
    const cross = await call(getRuleRoute, { cookie: bAdmin.cookie, org: b.org.slug, params: { id: rule.id } });
    expect(cross.status).toBe(404);
  });
});

describe("durability of the cursor", () => {
  it("small batches, a rewound cursor (a replayed batch) and concurrent evaluators give exactly the single-pass result", async () => {
    const t = await createTestOrg("alerts-cursor");
    await publishPolicy(t, [{ name: "no", condition: 'tool == "forbidden"', effect: "deny" }]);
    const rule = await createRule(memberContext(t), {
      name: "three denials",
      mode: "active",
      spec: {
        actions: ["action.decided"],
        condition: 'data.effect == "deny"',
        group_by: ["data.agent_id"],
        aggregation: { kind: "count", threshold: 3, window_seconds: 3600 },
        responses: [{ type: "notify", recipients: ["admins"] }],
      },
    });
    const agent = await createAgentWithKey(t, { tools: { allowed: ["forbidden"] } });
    await deny(agent, 12); // 4 firings of 3 (no cooldown)
    const before = (await owner().query(`SELECT seq FROM alert_cursors WHERE org_id = $1`, [t.org.id])).rows[0].seq;

    // A restart mid-burst: a few events per transaction, as if the process died between batches.
    await drain(t.org.id, { batch: 5 });
    expect(await firings(t.org.id, rule.id)).toHaveLength(4);

    // A batch evaluated twice (the cursor rewound, as if its update were lost): no duplicate.
    await owner().query(`UPDATE alert_cursors SET seq = $2 WHERE org_id = $1`, [t.org.id, before]);
    await owner().query(`DELETE FROM alert_groups WHERE org_id = $1`, [t.org.id]);
    await drain(t.org.id, { batch: 7 });
    expect(await firings(t.org.id, rule.id)).toHaveLength(4);

    // More events, two evaluators at once: one fires, the other skips the locked cursor.
    await deny(agent, 3);
    await Promise.all([drain(t.org.id), drain(t.org.id), drain(t.org.id)]);
    const all = await firings(t.org.id, rule.id);
    expect(all).toHaveLength(5);
    expect(new Set(all.map((f) => f.dedup_key)).size).toBe(5);
    const seqs = all.flatMap((f) => f.triggering.map((x) => x.seq));
    expect(new Set(seqs).size).toBe(15); // every denial counted once, none twice
  });
});

describe("modes and noise control", () => {
  it("shadow mode records what would have happened and does nothing", async () => {
    const t = await createTestOrg("alerts-shadow");
    await publishPolicy(t, [{ name: "no", condition: 'tool == "forbidden"', effect: "deny" }]);
    const rule = await createFromTemplate(t, "agent_denied", "shadow");
    const agent = await createAgentWithKey(t, { tools: { allowed: ["forbidden"] } });
    await deny(agent, 10);
    await drain(t.org.id);
    const fired = await firings(t.org.id, rule.id);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.outcome).toBe("shadow");
    expect(fired[0]!.responses.every((r) => r.status === "skipped")).toBe(true);
    expect(await agentDisabled(t.org.id, agent.id)).toBe(false);
    const n = await owner().query(`SELECT count(*)::int AS n FROM notifications WHERE org_id = $1`, [t.org.id]);
    expect(n.rows[0].n).toBe(0);
  });

  it("a silence (owned, expiring, audited) suppresses responses; the cap limits responses per hour", async () => {
    const t = await createTestOrg("alerts-silence");
    await publishPolicy(t, [{ name: "no", condition: 'tool == "forbidden"', effect: "deny" }]);
    const ctx = memberContext(t);
    const rule = await createRule(ctx, {
      name: "every denial",
      mode: "active",
      spec: {
        actions: ["action.decided"],
        condition: 'data.effect == "deny"',
        aggregation: { kind: "each" },
        responses: [{ type: "notify", recipients: ["admins"] }],
        max_responses_per_hour: 2,
      },
    });
    const agent = await createAgentWithKey(t, { tools: { allowed: ["forbidden"] } });
    await deny(agent, 4);
    await drain(t.org.id);
    const capped = await firings(t.org.id, rule.id);
    expect(capped.map((f) => f.outcome)).toEqual(["executed", "executed", "capped", "capped"]);

    const silence = await createSilence(ctx, { rule_id: rule.id, reason: "maintenance", duration_seconds: 600 });
    expect(silence.active).toBe(true);
    const audited = await owner().query(
      `SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1 AND action = 'alert_silence.created' AND target_id = $2`,
      [t.org.id, silence.id],
    );
    expect(audited.rows[0].n).toBe(1);
    await deny(agent, 1);
    await drain(t.org.id);
    expect((await firings(t.org.id, rule.id)).at(-1)!.outcome).toBe("silenced");
  });

  it("a new version replaces the rule's conditions and is recorded", async () => {
    const t = await createTestOrg("alerts-version");
    const ctx = memberContext(t);
    const rule = await createFromTemplate(t, "agent_denied");
    const updated = await updateRule(ctx, rule.id, {
      spec: { ...templateById("agent_denied")!.spec, cooldown_seconds: 5 },
    });
    expect(updated.version).toBe(2);
    expect(updated.spec.cooldown_seconds).toBe(5);
    const ev = await owner().query(
      `SELECT data FROM audit_events WHERE org_id = $1 AND action = 'alert_rule.updated' AND target_id = $2`,
      [t.org.id, rule.id],
    );
    expect(ev.rows[0].data.version).toBe(2);
  });
});

describe("failed sign-ins (enforced inline)", () => {
  it("the 5th failure locks the account at once, before any evaluator pass; the right password is then refused; one firing", async () => {
    const t = await createTestOrg("alerts-signin");
    const rule = await createFromTemplate(t, "failed_sign_ins");
    const meta = { ip: "198.51.100.7", userAgent: "vitest" };
    const email = t.users.approver.email;
    for (let i = 0; i < 5; i++) {
      await expect(signInWithPassword({ email, password: "wrong-password-x" }, meta)).rejects.toThrow();
    }
    // No evaluator has run: the lock is already there.
    const lock = await owner().query(`SELECT locked_until FROM member_locks WHERE org_id = $1 AND user_id = $2`, [
      t.org.id,
      t.users.approver.id,
    ]);
    expect(lock.rows).toHaveLength(1);
    await expect(signInWithPassword({ email, password: TEST_PASSWORD }, meta)).rejects.toMatchObject({
      code: "unauthenticated",
    });
    for (let i = 0; i < 3; i++) {
      await expect(signInWithPassword({ email, password: "wrong-password-x" }, meta)).rejects.toThrow();
    }
    await drain(t.org.id);
    const fired = await firings(t.org.id, rule.id);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.responses.map((r) => r.type)).toEqual(["lock_user", "notify"]);
    // Another member signs in fine.
    await expect(
      signInWithPassword({ email: t.users.viewer.email, password: TEST_PASSWORD }, meta),
    ).resolves.toBeTruthy();
  });
});

describe("high-risk approval at half its expiry (absence with a deadline from data.expires_at)", () => {
  it("reminds the admins once per pending high-risk approval at half its expiry; a decided or low-risk one gets none", async () => {
    const t = await createTestOrg("alerts-remind");
    await publishPolicy(t, [
      {
        name: "wires",
        condition: 'tool == "wire"',
        effect: "require_approval",
        risk_level: "high",
        approval_ttl_seconds: 3600,
      },
      {
        name: "notes",
        condition: 'tool == "note"',
        effect: "require_approval",
        risk_level: "low",
        approval_ttl_seconds: 3600,
      },
    ]);
    const rule = await createFromTemplate(t, "approval_half_expiry");
    const agent = await createAgentWithKey(t, { tools: { allowed: ["wire", "note"] } });
    const submit = async (tool: string) => {
      const r = await call(submitAction, {
        method: "POST",
        headers: { authorization: `Bearer ${agent.token}` },
        body: { tool, operation: "send" },
      });
      expect(r.status).toBe(201);
      expect(r.json.decision).toBe("require_approval");
      return r.json as { id: string; approval: { id: string } };
    };
    const waiting = [await submit("wire"), await submit("wire")];
    const decided = await submit("wire");
    const low = await submit("note");
    await decideApproval(memberContext(t, "approver"), decided.approval.id, "approved", { reason: "ok" });
    const start = Date.now();
    // 29 minutes in: not yet half-way to a 60-minute expiry.
    await drain(t.org.id);
    expect(await drain(t.org.id)).toBe(0);
    await evaluateOrganization(t.org.id, { now: () => start + 29 * 60_000 });
    expect(await firings(t.org.id, rule.id)).toHaveLength(0);
    // 31 minutes in: one reminder per waiting high-risk approval.
    await evaluateOrganization(t.org.id, { now: () => start + 31 * 60_000 });
    const fired = await firings(t.org.id, rule.id);
    expect(fired).toHaveLength(2);
    const seqs = fired.map((f) => f.triggering[0]!.seq);
    const requested = await owner().query(
      `SELECT seq, target_id FROM audit_events WHERE org_id = $1 AND action = 'approval.requested' AND seq = ANY($2::bigint[])`,
      [t.org.id, seqs],
    );
    expect(requested.rows.map((r: { target_id: string }) => r.target_id).sort()).toEqual(
      waiting.map((w) => w.id).sort(),
    );
    expect(fired.every((f) => f.outcome === "executed" && f.responses[0]!.type === "notify")).toBe(true);
    // Once: later passes (and the expiry itself) add nothing.
    await evaluateOrganization(t.org.id, { now: () => start + 50 * 60_000 });
    expect(await firings(t.org.id, rule.id)).toHaveLength(2);
    const inbox = await owner().query(
      `SELECT count(*)::int AS n FROM notifications WHERE org_id = $1 AND user_id = $2 AND firing_id = ANY($3::uuid[])`,
      [t.org.id, t.users.admin.id, fired.map((f) => f.id)],
    );
    expect(inbox.rows[0].n).toBe(2);
    expect(low.id).toBeTruthy();
  });
});
