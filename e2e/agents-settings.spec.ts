import { expect, test } from "@playwright/test";
import { WardenClient } from "../lib/sdk";
import { apiAs, createAgentWithKey, uniqueSlug } from "./firewall";
import { DEMO, signIn, watchCsp } from "./helpers";

test("an admin creates an agent with its tool registries, binds a key to it, edits it, and disables it", async ({
  page,
  baseURL,
}) => {
  const csp = watchCsp(page);
  const slug = uniqueSlug("e2e-ui");
  await signIn(page, DEMO.admin, undefined, "/acme/agents");
  await expect(page.getByRole("heading", { name: "Agents", exact: true })).toBeVisible();

  await page.getByRole("button", { name: "New agent" }).click();
  const form = page.getByRole("form", { name: "Create an agent" });
  // A slug the API refuses: its message appears next to the field.
  await form.getByLabel("Slug").fill("Not A Slug!");
  await form.getByLabel("Name").fill("Research assistant");
  await form.getByRole("button", { name: "Create agent" }).click();
  await expect(page.locator("#agent-slug-error")).toContainText("lowercase letters, digits or hyphens");
  await expect(form.getByLabel("Slug")).toHaveAttribute("aria-invalid", "true");

  await form.getByLabel("Slug").fill(slug);
  await form.getByRole("radio", { name: /^Development/ }).check();
  await form.getByLabel("Allowed tools (development)").fill("search, payments");
  await form.getByRole("button", { name: "Add to allowed (development)" }).click();
  await form.getByLabel("Require approval tools (development)").fill("email.send");
  await form.getByLabel("Require approval tools (development)").press("Enter");
  // A tool already in another list is pointed out, not added twice.
  await form.getByLabel("Denied tools (development)").fill("search");
  await form.getByRole("button", { name: "Add to denied (development)" }).click();
  await expect(form).toContainText("“search” is already in allowed");
  await form.getByLabel("Denied tools (production)").fill("shell");
  await form.getByRole("button", { name: "Add to denied (production)" }).click();
  await form.getByLabel("Rate limit per minute (optional)").fill("30");
  await form.getByRole("button", { name: "Create agent" }).click();

  await expect(page.getByRole("status")).toContainText(`Agent “${slug}” was created`);
  const row = page.getByTestId(`agent-${slug}`);
  await expect(row).toContainText("development");
  await expect(row).toContainText("2 allowed · 1 need approval · 0 denied");
  await expect(row).toContainText("30/min");

  // The key form comes preselected with the agent and the key type it needs.
  await page.getByRole("link", { name: "Create an API key for it" }).click();
  const keyForm = page.getByRole("form", { name: "Create a key" });
  await expect(keyForm.getByLabel("Agent", { exact: true }).locator("option:checked")).toHaveText(
    `${slug} · development`,
  );
  await expect(keyForm.getByLabel("Environment")).toHaveValue("test");
  await keyForm.getByLabel("Name").fill(`${slug} key`);
  await keyForm.getByRole("button", { name: "Create key" }).click();
  const token = await page.getByTestId("revealed-key").getByLabel("New API key").inputValue();
  expect(token).toMatch(/^wdn_test_/);
  await expect(page.getByTestId(`key-${slug} key`).getByTestId("key-agent")).toContainText(slug);

  // The agent page: edit the name, move it to production and give production its tools.
  await page.goto(`/acme/agents/${slug}`);
  const edit = page.getByRole("form", { name: `Edit agent ${slug}` });
  await edit.getByLabel("Name").fill("Research assistant v2");
  await edit.getByRole("radio", { name: /^Production/ }).check();
  await expect(edit.getByRole("note")).toContainText("accepts only live keys");
  await edit.getByLabel("Allowed tools (production)").fill("search");
  await edit.getByRole("button", { name: "Add to allowed (production)" }).click();
  await edit.getByRole("button", { name: "Remove payments from allowed (development)" }).click();
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toContainText(`Saved “${slug}”`);

  await page.reload();
  await expect(page.getByRole("heading", { name: "Research assistant v2" })).toBeVisible();
  const saved = await apiAs<{
    environment: string;
    tools_by_environment: Record<string, { allowed: string[]; denied: string[]; require_approval: string[] }>;
  }>(page, "GET", `/api/v1/agents/${slug}`);
  expect(saved.environment).toBe("production");
  expect(saved.tools_by_environment.production).toEqual({
    allowed: ["search"],
    require_approval: [],
    denied: ["shell"],
  });
  expect(saved.tools_by_environment.development).toEqual({
    allowed: ["search"],
    require_approval: ["email.send"],
    denied: [],
  });
  // Its test key no longer fits a production agent.
  const warden = new WardenClient({ baseUrl: baseURL!, apiKey: token });
  await expect(warden.submitAction({ tool: "search", operation: "query" })).rejects.toThrow(/needs a live key/);

  // Disable (with confirmation), then enable again.
  await page.getByRole("button", { name: "Disable agent" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Disable agent" }).click();
  await expect(page.getByRole("status")).toContainText("is disabled");
  await expect(page.getByRole("button", { name: "Enable agent" })).toBeVisible();
  expect((await apiAs<{ disabled: boolean }>(page, "GET", `/api/v1/agents/${slug}`)).disabled).toBe(true);
  await page.getByRole("button", { name: "Enable agent" }).click();
  await expect(page.getByRole("status")).toContainText("is enabled again");
  expect((await apiAs<{ disabled: boolean }>(page, "GET", `/api/v1/agents/${slug}`)).disabled).toBe(false);
  expect(csp).toEqual([]);
});

test("a viewer sees agents read-only", async ({ page, browser }) => {
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, DEMO.admin, undefined, "/acme");
  const agent = await createAgentWithKey(admin, {
    prefix: "e2e-ro",
    tools: { allowed: ["search"], denied: ["shell"] },
  });
  await adminContext.close();

  const csp = watchCsp(page);
  await signIn(page, DEMO.viewer, undefined, "/acme/agents");
  await expect(page.getByRole("heading", { name: "Agents", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "New agent" })).toHaveCount(0);
  await page.getByTestId(`agent-${agent.slug}`).getByRole("link", { name: agent.slug }).click();
  await expect(page.getByRole("heading", { name: "Configuration", exact: true })).toBeVisible();
  await expect(page.getByRole("region", { name: "production tool registry" })).toContainText("search");
  await expect(page.getByRole("region", { name: "production tool registry" })).toContainText("shell");
  await expect(page.getByRole("button", { name: /Save changes|Disable agent|Enable agent/ })).toHaveCount(0);
  await expect(page.getByRole("form")).toHaveCount(0);
  // Keys are an admin matter: a viewer does not see which keys the agent has.
  await expect(page.getByText("API keys bound to this agent")).toHaveCount(0);
  expect(csp).toEqual([]);
});

test("an admin saves organization settings: field errors point at the entry, and a new sensitive key is redacted from the next action", async ({
  page,
  baseURL,
}) => {
  const csp = watchCsp(page);
  await signIn(page, DEMO.admin, undefined, "/acme/settings");
  await expect(page.getByRole("heading", { name: "Settings", exact: true })).toBeVisible();
  const form = page.getByRole("form", { name: "Organization settings" });

  const domains = form.getByLabel("Allowed domains");
  const existingDomains = (await domains.inputValue()).split("\n").filter((d) => d && d !== "*.partner.example");
  const wantedDomains = [...existingDomains, "*.partner.example"].join("\n");
  await domains.fill([...existingDomains, "not a domain"].join("\n"));
  await form.getByRole("button", { name: "Save settings" }).click();
  await expect(page.locator("#set-domains-error")).toContainText("“not a domain”: must be a host name");
  await expect(domains).toHaveAttribute("aria-invalid", "true");

  await form.getByLabel("Idle timeout (minutes)").fill("45");
  await form.getByLabel("Absolute timeout (minutes)").fill("30");
  await domains.fill(wantedDomains);
  await form.getByRole("button", { name: "Save settings" }).click();
  await expect(page.locator("#set-idle-error")).toContainText("must not exceed the absolute timeout");

  await form.getByLabel("Absolute timeout (minutes)").fill("480");
  const sensitive = form.getByLabel("Extra sensitive parameter names");
  const current = await sensitive.inputValue();
  if (!current.split("\n").includes("iban")) await sensitive.fill([current, "iban"].filter(Boolean).join("\n"));
  await form.getByLabel("Keep action parameters and results for (days)").fill("90");
  await form.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status")).toContainText("Settings saved");

  await page.reload();
  await expect(form.getByLabel("Idle timeout (minutes)")).toHaveValue("45");
  await expect(form.getByLabel("Allowed domains")).toHaveValue(wantedDomains);
  await expect(form.getByLabel("Keep action parameters and results for (days)")).toHaveValue("90");
  await expect(form.getByLabel("Extra sensitive parameter names")).toHaveValue(/(^|\n)iban($|\n)/);

  // The setting takes effect: the next action's "iban" is stored redacted and marked on its page.
  const agent = await createAgentWithKey(page, { prefix: "e2e-iban", tools: { allowed: ["payments"] } });
  const warden = new WardenClient({ baseUrl: baseURL!, apiKey: agent.token });
  const action = await warden.submitAction({
    tool: "payments",
    operation: "create_payment",
    params: { amount: 10, iban: "DE89370400440532013000" },
  });
  expect(action.status).toBe("allowed");
  await page.goto(`/acme/actions/${action.id}`);
  await expect(page.getByLabel("parameters")).not.toContainText("DE89370400440532013000");
  await expect(page.locator('[data-redacted="/params/iban"]')).toHaveText('"[REDACTED]"');
  await expect(page.getByTestId("redacted-paths")).toContainText("/params/iban");
  expect(csp).toEqual([]);
});

test("settings are for admins only", async ({ page }) => {
  await signIn(page, DEMO.approver, undefined, "/acme");
  await expect(page.getByRole("list", { name: "Main" }).first().getByRole("link", { name: "Settings" })).toHaveCount(0);
  const res = await page.goto("/acme/settings");
  expect(res?.status()).toBe(403);
});
