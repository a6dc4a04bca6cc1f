import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { Webhook } from "standardwebhooks";
import { apiAs, uniqueSlug } from "./firewall";
import { DEMO, signIn, signOut, watchCsp } from "./helpers";

/**
 * An admin creates a webhook channel and a rule from a template in the
 * browser; an agent then trips the rule; the firing shows in the admin's
 * inbox (the bell) and history, and the signed webhook arrives at a real
 * receiver that verifies it with the standardwebhooks library. Runs in globex,
 * so acme's shared state is untouched.
 */
type Got = { headers: IncomingMessage["headers"]; body: string };
let receiver: Server;
const received: Got[] = [];

test.beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
});

test.afterAll(async () => {
  await new Promise((r) => receiver.close(r));
});

test("a rule from a template fires: the inbox shows it and the signed webhook arrives", async ({ page }) => {
  const csp = watchCsp(page);
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/warden`;
  await signIn(page, DEMO.globex);
  // The receiver is on loopback: the organization must allow it explicitly (SSRF guard).
  await apiAs(page, "PATCH", "/api/v1/org/settings", { http_allowed_private_cidrs: ["127.0.0.1/32"] }, "globex");

  await page.goto("/globex/alerts?tab=channels");
  await page.getByLabel("Kind").selectOption("webhook");
  await page.getByLabel("Name").fill(`siem-${Date.now()}`);
  await page.getByLabel("URL").fill(url);
  await page.getByRole("button", { name: "Add channel" }).click();
  const secretText = await page.getByTestId("channel-secret").locator("code").innerText();
  expect(secretText).toMatch(/^whsec_/);

  await page.getByRole("link", { name: "Rules" }).click();
  await page.getByLabel("Template").selectOption("agent_denied");
  const ruleName = `Denied agent ${Date.now()}`;
  await page.getByLabel("Name").fill(ruleName);
  await page.getByLabel("Mode").selectOption("active");
  await page.getByLabel("Also notify channel").selectOption({ index: 1 });
  await page.getByRole("button", { name: "Create rule" }).click();
  await expect(page.getByTestId(`rule-${ruleName}`)).toBeVisible();

  // The agent is refused ten times (its registry denies the tool).
  const slug = uniqueSlug("e2e-alerts");
  const created = await apiAs<{ id: string }>(
    page,
    "POST",
    "/api/v1/agents",
    {
      slug,
      name: `E2E ${slug}`,
      environment: "production",
      tools: { allowed: [], require_approval: [], denied: ["shell"] },
    },
    "globex",
  );
  const agent = await apiAs<{ token: string }>(
    page,
    "POST",
    "/api/v1/auth/api-keys",
    { name: `${slug} key`, environment: "live", scopes: ["actions:submit", "actions:read"], agent_id: created.id },
    "globex",
  );
  for (let i = 0; i < 10; i++) {
    const r = await page.request.post("/api/v1/actions", {
      headers: { authorization: `Bearer ${agent.token}`, "content-type": "application/json" },
      data: JSON.stringify({ tool: "shell", operation: `rm-${i}` }),
    });
    expect(r.status()).toBe(201);
  }

  // The bell picks it up without a reload.
  await expect(page.getByTestId("inbox-unread")).toBeVisible({ timeout: 20_000 });
  await page.getByTestId("inbox-bell").click();
  await expect(page.getByTestId("inbox-items")).toContainText(ruleName);

  // The webhook, verified with the secret the page showed once.
  await expect.poll(() => received.length, { timeout: 20_000 }).toBeGreaterThan(0);
  const got = received.find((g) => g.body.includes(ruleName))!;
  const payload = new Webhook(secretText).verify(got.body, got.headers as Record<string, string>) as {
    type: string;
    data: { rule: { name: string } };
  };
  expect(payload).toMatchObject({ type: "alert.fired", data: { rule: { name: ruleName } } });

  await page.goto("/globex/alerts?tab=history");
  await expect(page.getByTestId("firings")).toContainText(ruleName);
  await page.goto("/globex/alerts?tab=deliveries");
  await expect(page.getByTestId("deliveries")).toContainText("delivered");
  expect(csp).toEqual([]);
});

test("a large audit export waits in the approval queue; approved, its requester downloads it", async ({ page }) => {
  // Three people sign in one after another.
  test.slow();
  const csp = watchCsp(page);
  // Template 4 with a size every export here exceeds, limited to one start date so that
  // no other spec's export is held.
  await signIn(page, DEMO.admin);
  await apiAs(page, "POST", "/api/v1/alerts/rules", {
    name: `Large export ${Date.now()}`,
    template: "large_export",
    mode: "active",
    spec: {
      actions: ["audit.export_requested"],
      condition: 'data.estimated_bytes > 0.0 && data.from == "2001-01-01T00:00:00.000Z"',
      aggregation: { kind: "each" },
      responses: [{ type: "require_approval", expires_in_seconds: 3600 }],
      severity: "warning",
    },
  });
  await signOut(page);

  await signIn(page, DEMO.auditor);
  await page.goto("/acme/audit");
  const form = page.getByRole("form", { name: "Export the audit trail" });
  await form.getByLabel("From (UTC)").fill("2001-01-01T00:00:00");
  await form.getByRole("button", { name: "Download export" }).click();
  await expect(page.getByRole("status").filter({ hasText: "needs an approval" })).toBeVisible();
  await expect(page.getByTestId("my-exports")).toContainText("waiting for approval");
  await signOut(page);

  await signIn(page, DEMO.approver);
  await page.goto("/acme/approvals");
  const card = page.getByTestId("export-approval").filter({ hasText: DEMO.auditor }).first();
  await expect(card).toBeVisible();
  await card.getByLabel("Reason (required, recorded in the audit trail)").fill("e2e: SIEM backfill");
  await card.getByRole("button", { name: "Approve export" }).click();
  await expect(page.getByRole("status").filter({ hasText: "You approved the export" })).toBeVisible();
  await signOut(page);

  await signIn(page, DEMO.auditor);
  await page.goto("/acme/audit");
  const mine = page.getByTestId("my-exports");
  await expect(mine).toContainText("approved");
  const downloading = page.waitForEvent("download");
  await mine.getByRole("button", { name: "Download" }).first().click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^warden-audit-acme-2001-01-01T00-00-00-000Z-now\.jsonl$/);
  await expect(mine).toContainText("downloaded", { timeout: 10_000 });
  expect(csp).toEqual([]);
});
