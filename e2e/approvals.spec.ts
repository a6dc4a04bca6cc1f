import { expect, test } from "@playwright/test";
import { WardenClient, WardenDeniedError } from "../lib/sdk";
import { createAgentWithKey } from "./firewall";
import { DEMO, signIn, watchCsp } from "./helpers";

test("an agent's high-risk payment waits in the queue; an approver approves it live; the agent's wait returns approved", async ({
  page,
  browser,
  baseURL,
}) => {
  // The admin registers the agent and creates its key (so the admin may not approve its actions).
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, DEMO.admin, undefined, "/acme");
  const agent = await createAgentWithKey(admin, { prefix: "e2e-pay", tools: { allowed: ["payments"] } });

  // The approver has the queue open before anything is submitted.
  const csp = watchCsp(page);
  await signIn(page, DEMO.approver, undefined, "/acme/approvals");
  await expect(page.getByRole("heading", { name: "Approvals", exact: true })).toBeVisible();
  await expect(page.getByTestId("queue-freshness")).toContainText("updated");
  // Marks this document: if the page reloaded or navigated, the mark would be gone.
  await page.evaluate(() => document.documentElement.setAttribute("data-e2e-mark", "still-here"));

  const warden = new WardenClient({ baseUrl: baseURL!, apiKey: agent.token });
  const submitted = await warden.submitAction({
    tool: "payments",
    operation: "create_payment",
    params: { amount: 5000, currency: "EUR", recipient: "ACME Supplies", password: "hunter2" },
    context: { ticket: "INV-42" },
  });
  expect(submitted).toMatchObject({
    status: "pending",
    decision: "require_approval",
    risk_level: "high",
    rule: { name: "E2E: approve large payments" },
  });
  // The agent starts waiting before anyone has decided.
  const waiting = warden.waitForDecision(submitted.id, { timeoutMs: 60_000 });

  // It appears in the open queue without a reload.
  const card = page.getByTestId(`approval-${submitted.id}`);
  await expect(card).toBeVisible({ timeout: 15_000 });
  expect(await page.evaluate(() => document.documentElement.getAttribute("data-e2e-mark"))).toBe("still-here");
  await expect(card).toContainText("high risk");
  await expect(card).toContainText(agent.slug);
  await expect(card).toContainText("payments.create_payment");
  await expect(card).toContainText("Payments over 1000 need an approver");
  await expect(card.getByTestId("approval-count")).toHaveText("0 / 1 approvals");
  await expect(card.getByTestId("payload-hash")).toHaveText(submitted.payload_hash);
  await expect(card).toContainText("left");
  // The secret is redacted and marked as such; other values are shown.
  await expect(card.getByLabel("parameters")).toContainText('"[REDACTED]"');
  await expect(card.getByLabel("parameters")).not.toContainText("hunter2");
  await expect(card.locator('[data-redacted="/params/password"]')).toHaveCount(1);
  await expect(card.getByLabel("parameters")).toContainText("ACME Supplies");

  // The admin created the agent's key: the queue and the action page explain separation of duties instead of offering buttons.
  await admin.goto("/acme/approvals");
  const adminCard = admin.getByTestId(`approval-${submitted.id}`);
  await expect(adminCard.getByRole("note")).toContainText("separation of duties");
  await expect(adminCard.getByRole("button", { name: /^(Approve|Reject)/ })).toHaveCount(0);
  await admin.goto(`/acme/actions/${submitted.id}`);
  await expect(admin.getByRole("note")).toContainText("separation of duties");
  await expect(admin.getByRole("button", { name: /^Approve/ })).toHaveCount(0);

  // A reason is required; the person's typing survives the queue's refreshes.
  await card.getByRole("button", { name: /^Approve/ }).click();
  await expect(card).toContainText("Give a reason");
  await card.getByLabel(/^Reason/).fill("Invoice INV-42 checked against the purchase order");
  await page.waitForTimeout(3500); // at least one poll in between
  await expect(card.getByLabel(/^Reason/)).toHaveValue("Invoice INV-42 checked against the purchase order");
  await card.getByRole("button", { name: /^Approve/ }).click();
  await expect(page.getByRole("status").filter({ hasText: "Quorum reached" })).toBeVisible();

  const final = await waiting;
  expect(final.status).toBe("approved");
  await expect(card).toHaveCount(0);

  // The action's page shows the decision and the approval.
  await page.goto(`/acme/actions/${submitted.id}`);
  await expect(page.getByTestId("action-status")).toContainText("approved");
  await expect(page.getByTestId("detail-decision")).toContainText("require approval");
  await expect(page.getByTestId("detail-rule")).toContainText("E2E: approve large payments");
  const decisions = page.getByTestId("approval-decisions");
  await expect(decisions).toContainText(DEMO.approver);
  await expect(decisions).toContainText("approved");
  await expect(decisions).toContainText("Invoice INV-42 checked against the purchase order");
  await expect(decisions).toContainText("no MFA");
  await expect(page.getByTestId("approval-state")).toContainText("1 of 1 required");
  await expect(page.getByRole("button", { name: /^Approve/ })).toHaveCount(0);

  // The decided tab lists it.
  await page.goto("/acme/approvals?status=approved");
  await expect(page.getByTestId(`approval-${submitted.id}`)).toBeVisible();
  await adminContext.close();
  expect(csp).toEqual([]);
});

test("a rejected action: guard() throws WardenDeniedError and the guarded function never runs", async ({
  page,
  browser,
  baseURL,
}) => {
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, DEMO.admin, undefined, "/acme");
  const agent = await createAgentWithKey(admin, { prefix: "e2e-rej", tools: { allowed: ["payments"] } });
  await adminContext.close();

  const csp = watchCsp(page);
  await signIn(page, DEMO.approver, undefined, "/acme/approvals");
  const warden = new WardenClient({ baseUrl: baseURL!, apiKey: agent.token });
  let ran = false;
  const guarded = warden
    .guard(
      "payments",
      "create_payment",
      { amount: 2500, currency: "EUR" },
      () => {
        ran = true;
        return "paid";
      },
      { approvalTimeoutMs: 60_000 },
    )
    .then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    );

  // The approver finds it in the queue and rejects it from the action's own page.
  const card = page.getByRole("article", { name: new RegExp(`by ${agent.slug}$`) });
  await expect(card).toBeVisible({ timeout: 15_000 });
  await card.getByRole("link", { name: "Open the action" }).click();
  await expect(page.getByTestId("action-status")).toContainText("pending");
  await expect(page.getByTestId("action-live")).toBeVisible();
  await page.getByLabel(/^Reason/).fill("Not an approved supplier");
  await page.getByRole("button", { name: /^Reject/ }).click();

  const outcome = await guarded;
  expect(outcome.ok).toBe(false);
  if (outcome.ok) return;
  expect(outcome.e).toBeInstanceOf(WardenDeniedError);
  expect((outcome.e as WardenDeniedError).action.status).toBe("rejected");
  expect(ran).toBe(false);

  await expect(page.getByTestId("action-status")).toContainText("rejected");
  await expect(page.getByTestId("approval-decisions")).toContainText("Not an approved supplier");
  await expect(page.getByText("Rejected by an approver")).toBeVisible();
  expect(csp).toEqual([]);
});

test("a viewer sees actions but no approve or reject control anywhere, and the queue is forbidden", async ({
  page,
  browser,
  baseURL,
}) => {
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, DEMO.admin, undefined, "/acme");
  const agent = await createAgentWithKey(admin, { prefix: "e2e-view", tools: { allowed: ["payments"] } });
  await adminContext.close();
  const warden = new WardenClient({ baseUrl: baseURL!, apiKey: agent.token });
  const pending = await warden.submitAction({
    tool: "payments",
    operation: "create_payment",
    params: { amount: 9000 },
  });
  expect(pending.status).toBe("pending");

  const csp = watchCsp(page);
  await signIn(page, DEMO.viewer, undefined, "/acme");
  const nav = page.getByRole("list", { name: "Main" }).first();
  await expect(nav.getByRole("link", { name: "Actions" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Approvals" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Settings" })).toHaveCount(0);
  // The overview counts only what a viewer may see.
  await expect(page.getByTestId("actions-24h")).toBeVisible();
  await expect(page.getByTestId("pending-approvals")).toHaveCount(0);

  const res = await page.goto("/acme/approvals");
  expect(res?.status()).toBe(403);

  await page.goto(`/acme/actions?agent=${agent.slug}`);
  await expect(page.getByTestId(`action-row-${pending.id}`)).toContainText("pending");
  await page.getByTestId(`action-row-${pending.id}`).getByRole("link").click();
  await expect(page.getByTestId("action-status")).toContainText("pending");
  await expect(page.getByTestId("approval-state")).toContainText("0 of 1 required");
  await expect(page.getByRole("button", { name: /^Approve/ })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^Reject/ })).toHaveCount(0);
  await expect(page.getByLabel(/^Reason/)).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Export proof pack" })).toHaveCount(0);

  const approvals = await page.request.get("/api/v1/approvals", { headers: { "x-warden-org": "acme" } });
  expect(approvals.status()).toBe(403);
  expect(csp).toEqual([]);
});
