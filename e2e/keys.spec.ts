import { expect, test } from "@playwright/test";
import { DEMO, signIn, watchCsp } from "./helpers";

test("an admin creates a key, sees it once, uses it, revokes it, and the next request gets 401", async ({
  page,
  playwright,
}) => {
  const csp = watchCsp(page);
  const name = `e2e agent ${Date.now()}`;
  await signIn(page, DEMO.admin, undefined, "/acme/keys");
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();

  const form = page.getByRole("form", { name: "Create a key" });
  await form.getByLabel("Name").fill(name);
  await form.getByRole("button", { name: "Create key" }).click();
  const revealed = page.getByTestId("revealed-key");
  await expect(revealed).toBeVisible();
  const token = await revealed.getByLabel("New API key").inputValue();
  expect(token).toMatch(/^wdn_live_[0-9A-Za-z]{22}_[0-9A-Za-z]{38}$/);

  // Shown once: after dismissing and reloading, only the prefix and last four remain.
  await revealed.getByRole("button", { name: "Done" }).click();
  await page.reload();
  await expect(page.getByText(token)).toHaveCount(0);
  const row = page.getByTestId(`key-${name}`);
  await expect(row).toContainText(token.slice(-4));
  await expect(row).toContainText("Active");

  // An agent uses the key.
  const agent = await playwright.request.newContext({ baseURL: page.url().replace(/\/acme\/keys.*$/, "") });
  const ok = await agent.get("/api/v1/auth/whoami", { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).organization.slug).toBe("acme");

  // The admin sees the use, then revokes. The use is recorded off the request's critical path
  // (lib/keys/touch-api-key.ts), so the page may need another load before it shows.
  await expect(async () => {
    await page.reload();
    await expect(row).toContainText("127.0.0.1", { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await row.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByRole("status")).toContainText("was revoked");
  await expect(row).toContainText("Revoked");

  const refused = await agent.get("/api/v1/auth/whoami", { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  await agent.dispose();
  expect(csp).toEqual([]);
});

test("rotation shows the new key once and keeps the old one working during the grace period", async ({
  page,
  playwright,
}) => {
  const name = `cycled ${Date.now()}`;
  await signIn(page, DEMO.admin, undefined, "/acme/keys");
  const form = page.getByRole("form", { name: "Create a key" });
  await form.getByLabel("Name").fill(name);
  await form.getByRole("button", { name: "Create key" }).click();
  const oldToken = await page.getByTestId("revealed-key").getByLabel("New API key").inputValue();
  await page.getByTestId("revealed-key").getByRole("button", { name: "Done" }).click();

  await page.getByTestId(`key-${name}`).first().getByRole("button", { name: "Rotate" }).click();
  await page.getByRole("dialog").getByLabel("Grace period").selectOption({ label: "1 hour" });
  await page.getByRole("dialog").getByRole("button", { name: "Rotate key" }).click();
  const newToken = await page.getByTestId("revealed-key").getByLabel("New API key").inputValue();
  expect(newToken).not.toBe(oldToken);
  // Both keys are listed under the same name: the old one rotating, the new one active.
  const rows = page.getByTestId(`key-${name}`);
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: "Rotating" })).toHaveCount(1);
  await expect(rows.filter({ hasText: "Active" })).toHaveCount(1);

  const agent = await playwright.request.newContext({ baseURL: new URL(page.url()).origin });
  for (const t of [oldToken, newToken]) {
    expect((await agent.get("/api/v1/auth/whoami", { headers: { authorization: `Bearer ${t}` } })).status()).toBe(200);
  }
  await agent.dispose();
});

test("a viewer has no keys page, no create button, and no keys API", async ({ page }) => {
  await signIn(page, DEMO.viewer, undefined, "/acme");
  await expect(page.getByRole("link", { name: "API keys" })).toHaveCount(0);
  const res = await page.goto("/acme/keys");
  expect(res?.status()).toBe(403);
  await expect(page.getByRole("button", { name: "Create key" })).toHaveCount(0);
  const api = await page.request.post("/api/v1/auth/api-keys", {
    headers: { "x-warden-org": "acme", "content-type": "application/json", origin: new URL(page.url()).origin },
    data: { name: "sneaky", scopes: ["actions:read"] },
  });
  expect(api.status()).toBe(403);
  const list = await page.request.get("/api/v1/auth/api-keys", { headers: { "x-warden-org": "acme" } });
  expect(list.status()).toBe(403);
});
