import { POST as submit } from "@/app/api/v1/actions/route";
import { decideApproval } from "@/lib/approvals/decide-approval";
import { provisionMember } from "@/lib/members/provision-member";
import { userContext } from "@/lib/rbac/context";
import { createAgentWithKey, publishPolicy, type TestAgent } from "./firewall";
import { TEST_PASSWORD, type TestOrg } from "./fixtures";
import { call } from "./http";
import { bearer, memberContext } from "./keys";

/**
 * Actions made by the real pipeline (the integrator's POST /api/v1/actions and
 * approval decisions), so proof packs are tested against the events it
 * actually emits.
 */
export type Firewall = { agent: TestAgent; secondApprover: { id: string; email: string } };

/** A policy where "wire" needs two approvers, "pay" one, "read" is allowed and "drop" denied; an agent allowed to use "payments". */
export async function setUpFirewall(t: TestOrg): Promise<Firewall> {
  await publishPolicy(t, [
    {
      name: "wires need two",
      condition: 'operation == "wire"',
      effect: "require_approval",
      risk_level: "critical",
      approvals_required: 2,
    },
    { name: "payments need one", condition: 'operation == "pay"', effect: "require_approval", risk_level: "high" },
    { name: "reads are fine", condition: 'operation == "read"', effect: "allow", risk_level: "low" },
    { name: "nothing else", condition: "true", effect: "deny", risk_level: "medium" },
  ]);
  const agent = await createAgentWithKey(t, { tools: { allowed: ["payments"] } });
  const email = `approver2@${t.org.slug}.test`;
  const { userId } = await provisionMember({
    orgId: t.org.id,
    email,
    name: "Second approver",
    role: "approver",
    password: TEST_PASSWORD,
  });
  return { agent, secondApprover: { id: userId, email } };
}

export async function submitAction(fw: Firewall, operation: string, params: Record<string, unknown> = { amount: 1 }) {
  const res = await call(submit, {
    method: "POST",
    headers: bearer(fw.agent.token),
    body: { tool: "payments", operation, params },
  });
  if (res.status !== 201) throw new Error(`submit failed: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as { id: string; status: string; approval: { id: string } | null; payload_hash: string };
}

function approverContext(t: TestOrg, fw: Firewall, which: 1 | 2) {
  if (which === 1) return memberContext(t, "approver");
  const base = memberContext(t, "approver");
  if (base.principal.kind !== "user") throw new Error("unreachable");
  return userContext({
    ...base,
    principal: {
      kind: "user",
      user: { ...base.principal.user, userId: fw.secondApprover.id, email: fw.secondApprover.email },
    },
    role: "approver",
  });
}

/** An action approved by one approver ("pay") or two ("wire"), through decideApproval. */
export async function approvedAction(
  t: TestOrg,
  fw: Firewall,
  opts: { quorum?: 1 | 2; params?: Record<string, unknown> } = {},
) {
  const quorum = opts.quorum ?? 1;
  const action = await submitAction(fw, quorum === 2 ? "wire" : "pay", opts.params);
  if (!action.approval) throw new Error("expected an approval request");
  await decideApproval(approverContext(t, fw, 1), action.approval.id, "approved", { reason: "checked the invoice" });
  if (quorum === 2)
    await decideApproval(approverContext(t, fw, 2), action.approval.id, "approved", { reason: "second pair of eyes" });
  return action;
}
