import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as submit } from "@/app/api/v1/actions/route";
import { GET as getAction } from "@/app/api/v1/actions/[id]/route";
import { closeDb } from "@/lib/db/client";
import { verifyChain } from "@/lib/audit/verify-chain";
import { closeOwner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { createAgentWithKey, publishPolicy } from "../helpers/firewall";
import { call } from "../helpers/http";
import { bearer } from "../helpers/keys";

let t: TestOrg;
beforeAll(async () => {
  t = await createTestOrg("act");
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

describe("smoke", () => {
  it("allow, approval, deny by registry", async () => {
    const a = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
    const ok = await call(submit, {
      method: "POST",
      headers: bearer(a.token),
      body: { tool: "payments", operation: "pay", params: { amount: 5, password: "hunter2" } },
    });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ status: "allowed", decision: "allow", rule: { name: "payments" } });
    const big = await call(submit, {
      method: "POST",
      headers: bearer(a.token),
      body: { tool: "payments", operation: "pay", params: { amount: 500 } },
    });
    expect(big.json).toMatchObject({
      status: "pending",
      decision: "require_approval",
      risk_level: "high",
      approval: { required: 1 },
    });
    const denied = await call(submit, {
      method: "POST",
      headers: bearer(a.token),
      body: { tool: "shell", operation: "exec" },
    });
    expect(denied.json).toMatchObject({ status: "denied", decision: "deny", rule: null });
    const view = await call(getAction, { headers: bearer(a.token), params: { id: ok.json.id } });
    expect(view.status).toBe(200);
    expect(view.json.params).toEqual({ amount: 5, password: "[REDACTED]" });
    expect(await verifyChain(t.org.id)).toMatchObject({ ok: true });
  });
});
