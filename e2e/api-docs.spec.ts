import { expect, test } from "@playwright/test";
import { watchCsp } from "./helpers";

test("the API reference renders the OpenAPI document, offline and under the CSP", async ({ page, request }) => {
  const csp = watchCsp(page);
  await page.goto("/docs/api");
  await expect(page.getByRole("heading", { name: "Warden API reference" })).toBeVisible();
  const submit = page.getByRole("region", { name: "actions" });
  await expect(submit.getByRole("heading", { name: "POST /api/v1/actions", exact: true })).toBeVisible();
  await expect(submit.getByText("API key or session + X-Warden-Org with actions:submit").first()).toBeVisible();
  // Every asset the page loads is Warden's own.
  const foreign: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(new URL(page.url()).origin)) foreign.push(r.url());
  });
  await page.reload();
  await expect(page.getByRole("heading", { name: "Warden API reference" })).toBeVisible();
  expect(foreign).toEqual([]);
  const doc = await request.get("/api/v1/openapi.json");
  expect(doc.status()).toBe(200);
  expect((await doc.json()).openapi).toBe("3.1.0");
  expect(csp).toEqual([]);
});
