import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as submit } from "@/app/api/v1/actions/route";
import { GET as list } from "@/app/api/v1/approvals/route";
import { POST as approve } from "@/app/api/v1/approvals/[id]/approve/route";
import { POST as reject } from "@/app/api/v1/approvals/[id]/reject/route";
import { POST as emergency } from "@/app/api/v1/auth/emergency-revoke/route";
import { runApprovalExpirySweep } from "@/lib/approvals/expire";
import { verifyChain } from "@/lib/audit/verify-chain";
import { closeDb } from "@/lib/db/client";
import { provisionMember } from "@/lib/members/provision-member";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, TEST_PASSWORD, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, publishPolicy, type TestAgent } from "../helpers/firewall";
import { call, sessionCookie } from "../helpers/http";
import { bearer } from "../helpers/keys";

let t: TestOrg;
let other: TestOrg;
let agent: TestAgent;
const cookies: Record<string, string> = {};

beforeAll(async () => {
  [t, other] = await Promise.all([createTestOrg("apv"), createTestOrg("apv-other")]);
  await publishPolicy(t, [
    {
      name: "quorum",
      condition: 'operation == "wire"',
      effect: "require_approval",
      risk_level: "critical",
      approvals_required: 2,
    },
    { name: "one", condition: "true", effect: "require_approval", risk_level: "high" },
  ]);
  agent = await createAgentWithKey(t, { tools: { allowed: ["payments"] } }); // key created by t's admin
  const second = await provisionMember({
    orgId: t.org.id,
    email: `approver2@${t.org.slug}.test`,
    name: "Second",
    role: "approver",
    password: TEST_PASSWORD,
  });
  for (const [k, id] of [
    ["approver", t.users.approver.id],
    ["approver2", second.userId],
    ["admin", t.users.admin.id],
    ["viewer", t.users.viewer.id],
    ["auditor", t.users.auditor.id],
    ["otherAdmin", other.users.admin.id],
  ] as const) {
    cookies[k] = (await sessionCookie(id)).cookie;
  }
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function pending(operation = "pay") {
  const res = await call(submit, {
    method: "POST",
    headers: bearer(agent.token),
    body: { tool: "payments", operation, params: { amount: 1 } },
  });
  expect(res.json.status).toBe("pending");
  return res.json as { id: string; payload_hash: string; approval: { id: string } };
}
const decide = (
  fn: typeof approve,
  who: string,
  approvalId: string,
  body: unknown = { reason: "looks right" },
  org = t.org.slug,
) => call(fn, { method: "POST", cookie: cookies[who], org, params: { id: approvalId }, body });
const actionStatus = async (id: string) =>
  (await owner().query(`SELECT status::text FROM actions WHERE id = $1`, [id])).rows[0].status as string;

describe("GET /api/v1/approvals", () => {
  it("200 for an approver: the pending queue with the redacted action and whether they may decide", async () => {
    const p = await pending();
    const res = await call(list, { cookie: cookies.approver, org: t.org.slug });
    expect(res.status).toBe(200);
    const item = res.json.approvals.find((a: { id: string }) => a.id === p.approval.id);
    expect(item).toMatchObject({
      status: "pending",
      required: 1,
      approvals: 0,
      you_may_decide: true,
      action: { id: p.id, tool: "payments", risk_level: "high" },
    });
    // the admin created the agent's key: separation of duties
    const asAdmin = await call(list, { cookie: cookies.admin, org: t.org.slug });
    expect(asAdmin.json.approvals.find((a: { id: string }) => a.id === p.approval.id).you_may_decide).toBe(false);
  });
  it("401 without a session; 403 for a viewer and an auditor; 422 for a bad status filter", async () => {
    expect((await call(list, { org: t.org.slug })).status).toBe(401);
    expect((await call(list, { cookie: cookies.viewer, org: t.org.slug })).status).toBe(403);
    expect((await call(list, { cookie: cookies.auditor, org: t.org.slug })).status).toBe(403);
    expect(
      (await call(list, { cookie: cookies.approver, org: t.org.slug, path: "/api/v1/approvals?status=maybe" })).status,
    ).toBe(422);
  });
});

describe("POST /api/v1/approvals/{id}/approve|reject", () => {
  it("200 approve closes a quorum-1 approval; the action is approved; events follow the contract", async () => {
    const p = await pending();
    const res = await decide(approve, "approver", p.approval.id, {
      reason: "verified with finance",
      payload_hash: p.payload_hash,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      approval: { status: "approved", approvals: 1 },
      action: { id: p.id, status: "approved" },
    });
    expect(await actionStatus(p.id)).toBe("approved");
    const ev = (
      await owner().query(`SELECT action, data FROM audit_events WHERE org_id = $1 AND target_id = $2 ORDER BY seq`, [
        t.org.id,
        p.id,
      ])
    ).rows;
    expect(ev.map((e) => e.action)).toEqual([
      "action.submitted",
      "action.decided",
      "approval.requested",
      "approval.approved",
      "action.approved",
    ]);
    expect(ev[3].data).toMatchObject({
      approval_id: p.approval.id,
      approver_id: t.users.approver.id,
      decision: "approved",
      reason: "verified with finance",
      mfa: false,
    });
  });

  it("a quorum of 2 needs two distinct approvers; the same person cannot count twice", async () => {
    const p = await pending("wire");
    const first = await decide(approve, "approver", p.approval.id);
    expect(first.json).toMatchObject({
      approval: { status: "pending", approvals: 1, required: 2 },
      action: { status: "pending" },
    });
    expect((await decide(approve, "approver", p.approval.id)).status).toBe(409);
    const second = await decide(approve, "approver2", p.approval.id);
    expect(second.json).toMatchObject({
      approval: { status: "approved", approvals: 2 },
      action: { status: "approved" },
    });
  });

  it("a rejection closes it at once; a second decision on a closed approval is refused", async () => {
    const p = await pending("wire");
    const res = await decide(reject, "approver", p.approval.id, { reason: "unknown payee" });
    expect(res.json).toMatchObject({ approval: { status: "rejected" }, action: { status: "rejected" } });
    const again = await decide(approve, "approver2", p.approval.id);
    expect(again.status).toBe(409);
    expect(again.json.detail).toMatch(/already rejected/);
  });

  it("403: the creator of the agent's API key cannot approve (separation of duties); nothing written", async () => {
    const p = await pending();
    const before = (
      await owner().query(`SELECT count(*)::int n FROM approval_decisions WHERE approval_id = $1`, [p.approval.id])
    ).rows[0].n;
    const res = await decide(approve, "admin", p.approval.id);
    expect(res.status).toBe(403);
    expect(res.json.detail).toMatch(/separation of duties/);
    expect(
      (await owner().query(`SELECT count(*)::int n FROM approval_decisions WHERE approval_id = $1`, [p.approval.id]))
        .rows[0].n,
    ).toBe(before);
  });

  it("403 for a viewer and for an API key, even one holding approvals:decide", async () => {
    const p = await pending();
    expect((await decide(approve, "viewer", p.approval.id)).status).toBe(403);
    const keyHolder = await createAgentWithKey(t, { tools: { allowed: ["payments"] }, scopes: ["approvals:decide"] });
    const res = await call(approve, {
      method: "POST",
      headers: bearer(keyHolder.token),
      params: { id: p.approval.id },
      body: { reason: "bot says yes" },
    });
    expect(res.status).toBe(403);
    expect(await actionStatus(p.id)).toBe("pending");
  });

  it("409 when the payload differs from the one reviewed", async () => {
    const p = await pending();
    const res = await decide(approve, "approver", p.approval.id, { reason: "ok", payload_hash: "0".repeat(64) });
    expect(res.status).toBe(409);
    expect(await actionStatus(p.id)).toBe("pending");
  });

  it("409 once expired: the action becomes expired, with an audit event", async () => {
    const p = await pending();
    await owner().query(`UPDATE approvals SET expires_at = now() - interval '1 second' WHERE id = $1`, [p.approval.id]);
    const res = await decide(approve, "approver", p.approval.id);
    expect(res.status).toBe(409);
    expect(res.json.detail).toMatch(/expired/);
    expect(await actionStatus(p.id)).toBe("expired");
    const ev = (
      await owner().query(`SELECT action FROM audit_events WHERE target_id = $1 ORDER BY seq DESC LIMIT 1`, [p.id])
    ).rows[0];
    expect(ev.action).toBe("action.expired");
  });

  it("404 for another organization's approval and for a malformed id; 422 without a reason", async () => {
    const p = await pending();
    expect((await decide(approve, "otherAdmin", p.approval.id, { reason: "x" }, other.org.slug)).status).toBe(404);
    expect((await decide(approve, "approver", "not-a-uuid")).status).toBe(404);
    expect((await decide(approve, "approver", p.approval.id, {})).status).toBe(422);
    expect((await decide(approve, "approver", p.approval.id, { reason: "   " })).status).toBe(422);
    expect(await actionStatus(p.id)).toBe("pending");
  });
});

describe("expiry and cancellation", () => {
  it("the sweep expires overdue approvals in every organization", async () => {
    const p = await pending();
    await owner().query(`UPDATE approvals SET expires_at = now() - interval '1 minute' WHERE id = $1`, [p.approval.id]);
    expect(await runApprovalExpirySweep()).toBeGreaterThanOrEqual(1);
    expect(await actionStatus(p.id)).toBe("expired");
    expect(await verifyChain(t.org.id)).toMatchObject({ ok: true });
  });

  it("emergency revoke cancels the pending work of the revoked keys", async () => {
    const t2 = await createTestOrg("apv-er");
    await publishPolicy(t2, [{ name: "ask", condition: "true", effect: "require_approval" }]);
    const a2 = await createAgentWithKey(t2, { tools: { allowed: ["payments"] } });
    const p = await call(submit, {
      method: "POST",
      headers: bearer(a2.token),
      body: { tool: "payments", operation: "x" },
    });
    const admin = (await sessionCookie(t2.users.admin.id)).cookie;
    const res = await call(emergency, {
      method: "POST",
      cookie: admin,
      org: t2.org.slug,
      body: { reason: "compromised" },
    });
    expect(res.json.cancelled_actions).toBe(1);
    expect((await owner().query(`SELECT status::text FROM actions WHERE id = $1`, [p.json.id])).rows[0].status).toBe(
      "cancelled",
    );
    const approver = (await sessionCookie(t2.users.approver.id)).cookie;
    const late = await call(approve, {
      method: "POST",
      cookie: approver,
      org: t2.org.slug,
      params: { id: p.json.approval.id },
      body: { reason: "x" },
    });
    expect(late.status).toBe(409);
    expect(await verifyChain(t2.org.id)).toMatchObject({ ok: true });
  });
});
