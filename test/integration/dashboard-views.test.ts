/**
 * The small additions the dashboard needed on top of the firewall API: the
 * approval of one action as the queue shows it (with the separation-of-duties
 * reason), the overview's counts per role, settings' field errors under the
 * API's own field names, and who published a policy version.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as submit } from "@/app/api/v1/actions/route";
import { PATCH as patchSettings } from "@/app/api/v1/org/settings/route";
import { decideApproval } from "@/lib/approvals/decide-approval";
import { getApprovalForAction, listApprovals } from "@/lib/approvals/list-approvals";
import { closeDb } from "@/lib/db/client";
import { getOverview } from "@/lib/orgs/get-overview";
import { getOrgSettings } from "@/lib/orgs/settings";
import { listPolicyVersions } from "@/lib/policy/versions";
import { closeOwner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, publishPolicy } from "../helpers/firewall";
import { call, sessionCookie } from "../helpers/http";
import { bearer, memberContext } from "../helpers/keys";

let t: TestOrg;
let other: TestOrg;
beforeAll(async () => {
  t = await createTestOrg("dash");
  other = await createTestOrg("dash2");
  await publishPolicy(t, [
    {
      name: "big payments",
      condition: 'tool == "payments" && params.amount > 100.0',
      effect: "require_approval",
      risk_level: "high",
    },
    { name: "payments", condition: 'tool == "payments"', effect: "allow" },
  ]);
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

async function submitPayment(token: string, amount: number): Promise<{ id: string; status: string }> {
  const res = await call(submit, {
    method: "POST",
    headers: bearer(token),
    body: { tool: "payments", operation: "pay", params: { amount } },
  });
  expect(res.status).toBe(201);
  return res.json;
}

describe("getApprovalForAction", () => {
  it("explains separation of duties to the key's creator and lets another approver decide", async () => {
    // The admin creates the agent's key (createAgentWithKey), so the admin may not decide.
    const a = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
    const action = await submitPayment(a.token, 500);

    const forAdmin = await getApprovalForAction(memberContext(t, "admin"), action.id);
    expect(forAdmin).toMatchObject({
      status: "pending",
      you_created_key: true,
      you_may_decide: false,
      you_decided: false,
      approvals: 0,
      required: 1,
    });
    expect(forAdmin?.action.id).toBe(action.id);

    const forApprover = await getApprovalForAction(memberContext(t, "approver"), action.id);
    expect(forApprover).toMatchObject({ you_created_key: false, you_may_decide: true, you_decided: false });

    const queue = await listApprovals(memberContext(t, "admin"), { status: "pending" });
    expect(queue.find((i) => i.action.id === action.id)).toMatchObject({
      you_created_key: true,
      you_may_decide: false,
    });

    await decideApproval(memberContext(t, "approver"), forApprover!.id, "approved", { reason: "ok" });
    const after = await getApprovalForAction(memberContext(t, "approver"), action.id);
    expect(after).toMatchObject({ status: "approved", you_may_decide: false, you_decided: true, approvals: 1 });
  });

  it("is null for an action that needed no approval, and for another organization's action", async () => {
    const a = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
    const allowed = await submitPayment(a.token, 5);
    expect(allowed.status).toBe("allowed");
    expect(await getApprovalForAction(memberContext(t, "approver"), allowed.id)).toBeNull();

    const pending = await submitPayment(a.token, 900);
    expect(await getApprovalForAction(memberContext(other, "admin"), pending.id)).toBeNull();
  });

  it("needs approvals:read", async () => {
    await expect(
      getApprovalForAction(memberContext(t, "viewer"), "00000000-0000-4000-8000-000000000000"),
    ).rejects.toMatchObject({ code: "forbidden" });
  });
});

describe("getOverview firewall counts", () => {
  it("counts the last 24 hours' actions by status and the live pending approvals, each only for roles that may see them", async () => {
    const o = await createTestOrg("dashov");
    await publishPolicy(o, [
      { name: "big payments", condition: 'tool == "payments" && params.amount > 100.0', effect: "require_approval" },
      { name: "payments", condition: 'tool == "payments"', effect: "allow" },
    ]);
    const a = await createAgentWithKey(o, { tools: { allowed: ["payments"] } });
    await submitPayment(a.token, 1);
    await submitPayment(a.token, 2);
    await submitPayment(a.token, 500);
    const denied = await call(submit, {
      method: "POST",
      headers: bearer(a.token),
      body: { tool: "shell", operation: "exec" },
    });
    expect(denied.json.status).toBe("denied");

    const approver = await getOverview(memberContext(o, "approver"));
    expect(approver.actions_24h).toEqual({ total: 4, by_status: { allowed: 2, pending: 1, denied: 1 } });
    expect(approver.pending_approvals?.count).toBe(1);
    expect(Date.parse(approver.pending_approvals!.next_expires_at!)).toBeGreaterThan(Date.now());
    expect(approver.agents).toEqual({ total: 1, disabled: 0 });

    const viewer = await getOverview(memberContext(o, "viewer"));
    expect(viewer.actions_24h?.total).toBe(4);
    expect(viewer.pending_approvals).toBeNull();

    // Another organization's actions never count.
    const empty = await getOverview(memberContext(other, "admin"));
    expect(empty.actions_24h).toEqual({ total: 0, by_status: {} });
    expect(empty.pending_approvals).toEqual({ count: 0, next_expires_at: null });
  });
});

describe("PATCH /api/v1/org/settings allowlist errors", () => {
  it("422 names the settings fields and the entries, for both lists at once, and changes nothing", async () => {
    const { cookie } = await sessionCookie(t.users.admin.id);
    const before = await getOrgSettings(memberContext(t, "admin"));
    const res = await call(patchSettings, {
      method: "PATCH",
      cookie,
      org: t.org.slug,
      body: { http_allowed_domains: ["api.example.com", "not a domain"], http_allowed_private_cidrs: ["10.0.0.0/99"] },
    });
    expect(res.status).toBe(422);
    expect(res.json.errors).toEqual([
      { path: "http_allowed_domains.1", message: expect.any(String) },
      { path: "http_allowed_private_cidrs.0", message: expect.any(String) },
    ]);
    expect(await getOrgSettings(memberContext(t, "admin"))).toEqual(before);
  });
});

describe("listPolicyVersions", () => {
  it("names who published each version", async () => {
    const versions = await listPolicyVersions(memberContext(t, "viewer"));
    const active = versions.find((v) => v.active)!;
    expect(active.published_by).toBe(t.users.admin.email);
    expect(active.created_by).toBe(t.users.admin.email);
  });
});
