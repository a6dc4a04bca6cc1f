import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as submit } from "@/app/api/v1/actions/route";
import { GET as list, POST as create } from "@/app/api/v1/policies/route";
import { GET as active } from "@/app/api/v1/policies/active/route";
import { GET as getVersion } from "@/app/api/v1/policies/[version]/route";
import { POST as publish } from "@/app/api/v1/policies/[version]/publish/route";
import { POST as replay } from "@/app/api/v1/policies/[version]/replay/route";
import { POST as simulate } from "@/app/api/v1/policies/simulate/route";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, publishPolicy } from "../helpers/firewall";
import { call, sessionCookie } from "../helpers/http";
import { bearer } from "../helpers/keys";

let t: TestOrg;
let other: TestOrg;
let admin: string;
let viewer: string;
let otherAdmin: string;

beforeAll(async () => {
  [t, other] = await Promise.all([createTestOrg("pol"), createTestOrg("pol-other")]);
  admin = (await sessionCookie(t.users.admin.id)).cookie;
  viewer = (await sessionCookie(t.users.viewer.id)).cookie;
  otherAdmin = (await sessionCookie(other.users.admin.id)).cookie;
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const rules = [
  { name: "deny deletes", condition: 'operation == "delete"', effect: "deny" },
  { name: "allow rest", condition: "true", effect: "allow" },
];

describe("the default policy", () => {
  it("a new organization starts with one active version that denies everything", async () => {
    const res = await call(active, { cookie: viewer, org: t.org.slug });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ version: 1, status: "published", active: true, rule_count: 1 });
    expect(res.json.rules[0]).toMatchObject({ name: "Default deny", effect: "deny" });
    expect(res.json.rules[0].condition).toContain("// ");
  });
});

describe("POST /api/v1/policies (drafts)", () => {
  it("201 saves a draft; it is not active until published", async () => {
    const res = await call(create, {
      method: "POST",
      cookie: admin,
      org: t.org.slug,
      body: { rules, description: "first" },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ status: "draft", active: false, rule_count: 2, description: "first" });
    expect((await call(active, { cookie: viewer, org: t.org.slug })).json.version).toBe(1);
  });
  it("422 names the rule and the position of a compile error; nothing is saved", async () => {
    const before = (await call(list, { cookie: admin, org: t.org.slug })).json.versions.length;
    const res = await call(create, {
      method: "POST",
      cookie: admin,
      org: t.org.slug,
      body: {
        rules: [
          { name: "ok", condition: "true", effect: "allow" },
          { name: "bad", condition: 'tool == "x" &&\n  nope > 1', effect: "deny" },
        ],
      },
    });
    expect(res.status).toBe(422);
    expect(res.json.errors).toContainEqual(
      expect.objectContaining({
        path: "rules.1.condition",
        message: expect.stringMatching(/^line 2, column 3: unknown variable 'nope'/),
      }),
    );
    expect((await call(list, { cookie: admin, org: t.org.slug })).json.versions.length).toBe(before);
  });
  it("422 for schema errors (bad effect, approvals on an allow rule, duplicate names)", async () => {
    for (const bad of [
      [{ name: "x", condition: "true", effect: "maybe" }],
      [{ name: "x", condition: "true", effect: "allow", approvals_required: 2 }],
      [
        { name: "x", condition: "true", effect: "allow" },
        { name: "X", condition: "true", effect: "deny" },
      ],
    ]) {
      expect(
        (await call(create, { method: "POST", cookie: admin, org: t.org.slug, body: { rules: bad } })).status,
      ).toBe(422);
    }
  });
  it("403 for a viewer; 401 without a session", async () => {
    expect((await call(create, { method: "POST", cookie: viewer, org: t.org.slug, body: { rules } })).status).toBe(403);
    expect((await call(create, { method: "POST", org: t.org.slug, body: { rules } })).status).toBe(401);
  });
});

describe("POST /api/v1/policies/{version}/publish", () => {
  it("200 makes the draft the one active version; agents follow it at once; old versions can be re-activated", async () => {
    const t2 = await createTestOrg("pol-pub");
    const cookie = (await sessionCookie(t2.users.admin.id)).cookie;
    const agent = await createAgentWithKey(t2, { tools: { allowed: ["files"] } });
    const denied = await call(submit, {
      method: "POST",
      headers: bearer(agent.token),
      body: { tool: "files", operation: "read" },
    });
    expect(denied.json.decision).toBe("deny");
    const draft = await call(create, { method: "POST", cookie, org: t2.org.slug, body: { rules } });
    const pub = await call(publish, {
      method: "POST",
      cookie,
      org: t2.org.slug,
      params: { version: String(draft.json.version) },
    });
    expect(pub.status).toBe(200);
    expect(pub.json).toMatchObject({ version: draft.json.version, status: "published", active: true });
    const allowed = await call(submit, {
      method: "POST",
      headers: bearer(agent.token),
      body: { tool: "files", operation: "read" },
    });
    expect(allowed.json).toMatchObject({ decision: "allow", policy_version: draft.json.version });
    expect(
      (
        await call(publish, {
          method: "POST",
          cookie,
          org: t2.org.slug,
          params: { version: String(draft.json.version) },
        })
      ).status,
    ).toBe(409);
    const rollback = await call(publish, { method: "POST", cookie, org: t2.org.slug, params: { version: "1" } });
    expect(rollback.json).toMatchObject({ version: 1, active: true });
    const actives = (
      await owner().query(`SELECT count(*)::int n FROM policy_versions WHERE org_id = $1 AND is_active`, [t2.org.id])
    ).rows[0].n;
    expect(actives).toBe(1);
    const ev = (
      await owner().query(`SELECT action FROM audit_events WHERE org_id = $1 AND action LIKE 'policy.%' ORDER BY seq`, [
        t2.org.id,
      ])
    ).rows.map((r) => r.action);
    expect(ev).toEqual(["policy.draft_created", "policy.published", "policy.reactivated"]);
  });
  it("404 for an unknown version and for another organization's version", async () => {
    expect(
      (await call(publish, { method: "POST", cookie: admin, org: t.org.slug, params: { version: "999" } })).status,
    ).toBe(404);
    const theirs = await call(create, { method: "POST", cookie: otherAdmin, org: other.org.slug, body: { rules } });
    expect(theirs.status).toBe(201);
    const mine = (await call(list, { cookie: admin, org: t.org.slug })).json.versions.map(
      (v: { version: number }) => v.version,
    );
    const free = Math.max(...mine) + 50;
    expect((await call(getVersion, { cookie: admin, org: t.org.slug, params: { version: String(free) } })).status).toBe(
      404,
    );
  });
  it("a published version's content cannot change, even for the owner role", async () => {
    await expect(
      owner().query(`UPDATE policy_versions SET rules = '[]' WHERE org_id = $1 AND version = 1`, [t.org.id]),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(
      owner().query(`DELETE FROM policy_versions WHERE org_id = $1 AND version = 1`, [t.org.id]),
    ).rejects.toMatchObject({ code: "42501" });
  });
});

describe("POST /api/v1/policies/simulate", () => {
  it("200 evaluates a draft against a sample action and shows the matching rule and the trace", async () => {
    const res = await call(simulate, {
      method: "POST",
      cookie: viewer,
      org: t.org.slug,
      body: { rules, action: { tool: "files", operation: "delete" } },
    });
    expect(res.status).toBe(200);
    expect(res.json.decision).toMatchObject({ effect: "deny", rule: { index: 0, name: "deny deletes" } });
    expect(res.json.trace.map((r: { result: string }) => r.result)).toEqual(["true", "true"]);
    expect(res.json.policy.source).toBe("draft");
  });
  it("with an agent, the registry applies first", async () => {
    const agent = await createAgentWithKey(t, { tools: { denied: ["files"] } });
    const res = await call(simulate, {
      method: "POST",
      cookie: viewer,
      org: t.org.slug,
      body: { rules, action: { agent: agent.slug, tool: "files", operation: "read" } },
    });
    expect(res.json).toMatchObject({ registry: "denied", decision: { effect: "deny", decided_by: "registry" } });
  });
  it("422 for a compile error in the draft, 404 for an unknown agent", async () => {
    expect(
      (
        await call(simulate, {
          method: "POST",
          cookie: viewer,
          org: t.org.slug,
          body: { rules: [{ name: "x", condition: "1 +", effect: "allow" }], action: { tool: "a", operation: "b" } },
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await call(simulate, {
          method: "POST",
          cookie: viewer,
          org: t.org.slug,
          body: { action: { agent: "ghost", tool: "a", operation: "b" } },
        })
      ).status,
    ).toBe(404);
  });
});

describe("POST /api/v1/policies/{version}/replay", () => {
  it("reports which recorded decisions the draft would change, from the original parameters", async () => {
    const t3 = await createTestOrg("pol-replay");
    const cookie = (await sessionCookie(t3.users.admin.id)).cookie;
    await publishPolicy(t3, [{ name: "all", condition: "true", effect: "allow" }]);
    const agent = await createAgentWithKey(t3, { tools: { allowed: ["payments"] } });
    for (const amount of [10, 5000, 20]) {
      await call(submit, {
        method: "POST",
        headers: bearer(agent.token),
        body: { tool: "payments", operation: "pay", params: { amount, secret: "s3cr3t" } },
      });
    }
    const draft = await call(create, {
      method: "POST",
      cookie,
      org: t3.org.slug,
      body: {
        rules: [
          { name: "big", condition: "params.amount > 1000.0", effect: "require_approval" },
          { name: "all", condition: "true", effect: "allow" },
        ],
      },
    });
    const res = await call(replay, {
      method: "POST",
      cookie,
      org: t3.org.slug,
      params: { version: String(draft.json.version) },
      body: { limit: 10 },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ evaluated: 3, unchanged: 2, skipped_payload_expired: 0 });
    expect(res.json.changed).toHaveLength(1);
    expect(res.json.changed[0]).toMatchObject({
      before: { effect: "allow", rule: "all" },
      after: { effect: "require_approval", rule: "big" },
    });
    expect(JSON.stringify(res.json)).not.toContain("s3cr3t");
    const viewerCookie = (await sessionCookie(t3.users.viewer.id)).cookie;
    expect(
      (
        await call(replay, {
          method: "POST",
          cookie: viewerCookie,
          org: t3.org.slug,
          params: { version: String(draft.json.version) },
          body: {},
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call(replay, {
          method: "POST",
          cookie,
          org: t3.org.slug,
          params: { version: String(draft.json.version) },
          body: { limit: 5000 },
        })
      ).status,
    ).toBe(422);
  });
});
