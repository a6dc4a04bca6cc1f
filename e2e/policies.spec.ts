import { expect, test } from "@playwright/test";
import { WardenClient } from "../lib/sdk";
import { apiAs, createAgentWithKey } from "./firewall";
import { DEMO, signIn, watchCsp } from "./helpers";

test("the policy editor shows a compile error at its line and column; a fixed draft is tested, published, and decides the agent's next action", async ({
  page,
  baseURL,
}) => {
  const csp = watchCsp(page);
  await signIn(page, DEMO.admin, undefined, "/acme");
  const agent = await createAgentWithKey(page, { prefix: "e2e-crm", tools: { allowed: ["crm"] } });
  const warden = new WardenClient({ baseUrl: baseURL!, apiKey: agent.token });

  // Before: no rule allows CRM exports, so the default deny applies.
  const before = await warden.submitAction({ tool: "crm", operation: "export", params: { rows: 10 } });
  expect(before.status).toBe("denied");

  await page.goto("/acme/policies");
  await expect(page.getByRole("heading", { name: "Policies", exact: true })).toBeVisible();
  const activeBefore = await apiAs<{ version: number; rule_count: number }>(page, "GET", "/api/v1/policies/active");
  await expect(page.getByTestId("active-policy")).toContainText(`v${activeBefore.version}`);
  // The editor starts from the active version's rules.
  const rules = page.getByRole("list", { name: "Rules" });
  await expect(rules.getByRole("listitem")).toHaveCount(activeBefore.rule_count);

  await page.getByRole("button", { name: "+ Add rule" }).click();
  await expect(rules.getByRole("listitem")).toHaveCount(activeBefore.rule_count + 1);
  const name = `E2E allow CRM exports for ${agent.slug}`;
  await page.getByLabel("Name of rule 1").fill(name);
  // "amount" is not a variable: the error is on line 2, column 23.
  await page
    .getByLabel("Condition of rule 1 (CEL)")
    .fill(`agent.slug == "${agent.slug}"\n  && tool == "crm" && amount < 1000`);
  await page.getByLabel("Effect").first().selectOption("allow");
  await page.getByLabel("Reason (shown to agents and approvers)").first().fill("Small CRM exports are fine");
  await page.getByRole("button", { name: "Save as draft" }).click();

  const problem = page.getByTestId("rule-0").getByTestId("condition-error");
  await expect(problem).toContainText("Line 2, column 23: unknown variable 'amount'");
  // The offending line, with a caret under column 23.
  // (textContent: toHaveText would collapse the spaces that place the caret)
  expect(await problem.locator("pre").textContent()).toBe(`  && tool == "crm" && amount < 1000\n${" ".repeat(22)}^`);
  await expect(page.getByTestId("rule-0").getByLabel("Condition of rule 1 (CEL)")).toHaveAttribute(
    "aria-invalid",
    "true",
  );
  // Nothing was saved.
  await expect(page.getByRole("button", { name: /^Publish/ }).first()).toBeDisabled();
  await problem.getByRole("button", { name: "Go to line 2, column 23" }).click();
  await expect(page.getByLabel("Condition of rule 1 (CEL)")).toBeFocused();

  await page
    .getByLabel("Condition of rule 1 (CEL)")
    .fill(`agent.slug == "${agent.slug}"\n  && tool == "crm" && params.rows < 1000`);
  await expect(page.getByTestId("condition-error")).toHaveCount(0);

  // The test panel runs a sample action through the editor's rules.
  const testForm = page.getByRole("form", { name: "Test a sample action" });
  await testForm.getByLabel("Agent").selectOption(agent.slug);
  await testForm.getByLabel("Tool").fill("crm");
  await testForm.getByLabel("Operation").fill("export");
  await testForm.getByLabel("Parameters (JSON)").fill('{"rows": 10}');
  await testForm.getByRole("button", { name: "Run test" }).click();
  const result = page.getByTestId("simulation-result");
  await expect(result).toContainText("allow");
  await expect(page.getByTestId("simulation-rule")).toContainText(`#1 ${name}`);
  await expect(result.getByTestId("trace-0")).toContainText("decides");
  // And a large export falls through to the default deny.
  await testForm.getByLabel("Parameters (JSON)").fill('{"rows": 5000}');
  await testForm.getByRole("button", { name: "Run test" }).click();
  await expect(page.getByTestId("simulation-rule")).not.toContainText(name);
  await expect(result).toContainText("deny");

  await page.getByLabel("Change description (optional)").fill("Allow small CRM exports (e2e)");
  await page.getByRole("button", { name: "Save as draft" }).click();
  const saved = page.getByRole("status").filter({ hasText: "Saved as draft" });
  await expect(saved).toBeVisible();
  const draftVersion = Number((await saved.textContent())!.match(/v(\d+)/)![1]);
  expect(draftVersion).toBeGreaterThan(activeBefore.version);
  await expect(page.getByTestId(`policy-version-${draftVersion}`)).toContainText("draft");

  // Replay the saved draft against recorded actions: the earlier denial would now be allowed.
  await page.getByLabel("Actions to replay").fill("1000");
  await page.getByRole("button", { name: `Replay against v${draftVersion}` }).click();
  await expect(page.getByTestId("replay-result")).toContainText("would change");
  await expect(page.getByTestId("replay-result").getByRole("link", { name: "crm.export" }).first()).toBeVisible();

  // Publish, with confirmation.
  await page
    .getByRole("button", { name: `Publish v${draftVersion}` })
    .first()
    .click();
  const dialog = page.getByRole("dialog", { name: `Publish v${draftVersion}?` });
  await expect(dialog).toContainText(`replacing v${activeBefore.version}`);
  await dialog.getByRole("button", { name: `Publish v${draftVersion}` }).click();
  await expect(page.getByRole("status").filter({ hasText: `v${draftVersion} is now the active policy` })).toBeVisible();
  await expect(page.getByTestId("active-policy")).toContainText(`v${draftVersion}`);
  await expect(page.getByTestId(`policy-version-${draftVersion}`)).toContainText("active");
  expect((await apiAs<{ version: number }>(page, "GET", "/api/v1/policies/active")).version).toBe(draftVersion);

  // The agent's next action follows the new policy.
  const after = await warden.submitAction({ tool: "crm", operation: "export", params: { rows: 10 } });
  expect(after).toMatchObject({ status: "allowed", decision: "allow", rule: { name }, policy_version: draftVersion });

  // Rollback: re-activate the previous version from the history; the next export is denied again.
  await page
    .getByTestId(`policy-version-${activeBefore.version}`)
    .getByRole("button", { name: `Re-activate v${activeBefore.version}` })
    .click();
  const rollback = page.getByRole("dialog", { name: `Re-activate v${activeBefore.version}?` });
  await expect(rollback).toContainText("This is a rollback");
  await rollback.getByRole("button", { name: `Re-activate v${activeBefore.version}` }).click();
  await expect(page.getByTestId("active-policy")).toContainText(`v${activeBefore.version}`);
  await expect(page.getByTestId(`policy-version-${draftVersion}`)).toContainText("published");
  const rolledBack = await warden.submitAction({ tool: "crm", operation: "export", params: { rows: 10 } });
  expect(rolledBack).toMatchObject({ status: "denied", policy_version: activeBefore.version });
  expect(csp).toEqual([]);
});

test("a viewer reads the active policy and can test it, but gets no editing controls", async ({ page }) => {
  const csp = watchCsp(page);
  await signIn(page, DEMO.viewer, undefined, "/acme/policies");
  await expect(page.getByTestId("active-policy")).toBeVisible();
  await expect(page.getByTestId("policy-rules")).toBeVisible();
  await expect(page.getByRole("button", { name: "Save as draft" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "+ Add rule" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^(Publish|Re-activate)/ })).toHaveCount(0);
  await expect(page.getByRole("textbox", { name: /Condition of rule/ })).toHaveCount(0);

  const testForm = page.getByRole("form", { name: "Test a sample action" });
  await testForm.getByLabel("Tool").fill("shell");
  await testForm.getByLabel("Operation").fill("exec");
  await testForm.getByRole("button", { name: "Run test" }).click();
  await expect(page.getByTestId("simulation-result")).toContainText("active policy");
  const denied = await page.request.post("/api/v1/policies", {
    headers: { "x-warden-org": "acme", "content-type": "application/json", origin: new URL(page.url()).origin },
    data: { rules: [] },
  });
  expect(denied.status()).toBe(403);
  expect(csp).toEqual([]);
});
