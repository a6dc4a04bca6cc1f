import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAgentWithKey } from "./firewall";
import { DEMO, signIn, watchCsp } from "./helpers";

/**
 * The security page as its two audiences use it: the admin sees the checklist
 * react to a change they made (an agent allowed a shell tool in production),
 * records a snapshot and opens the runbook; the auditor (read-only) downloads
 * the JSON report and finds it in the history with the same SHA-256.
 */

type Session = { page: Page; close: () => Promise<void> };

async function session(browser: Browser, email: string, path = "/acme"): Promise<Session> {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page, email, undefined, path);
  return { page, close: () => context.close() };
}

test("an admin sees the live checklist, records a snapshot and opens the incident runbook", async ({ browser }) => {
  const admin = await session(browser, DEMO.admin);
  const { page } = admin;
  const csp = watchCsp(page);
  try {
    const agent = await createAgentWithKey(page, { prefix: "e2e-sec", tools: { allowed: ["shell", "payments"] } });
    await page.getByRole("link", { name: "Security", exact: true }).first().click();
    await expect(page).toHaveURL(/\/acme\/security$/);
    await expect(page.getByTestId("posture-score")).toContainText("/ 100");
    const tools = page.getByTestId("check-agents_dangerous_tools");
    await expect(tools).toHaveAttribute("data-status", "fail");
    await expect(tools).toContainText(`${agent.slug}: shell (shell)`);
    await expect(page.getByTestId("check-audit_retention")).toHaveAttribute("data-status", "not_available");

    const rows = page.getByTestId("posture-history").locator("tbody tr");
    const before = await rows.count();
    await page.getByTestId("record-snapshot").click();
    await expect(page.getByText(/^Recorded a snapshot: score \d+\.$/)).toBeVisible();
    await expect(rows).toHaveCount(before + 1);
    await expect(rows.first()).toContainText("Recorded");

    await page.getByTestId("incident-response-link").click();
    await expect(page.getByRole("heading", { name: "1. A leaked API key" })).toBeVisible();
    await expect(page.getByText("emergency revoke", { exact: false }).first()).toBeVisible();
    expect(csp).toEqual([]);
  } finally {
    await admin.close();
  }
});

test("an auditor downloads the JSON report; the stored snapshot carries the same SHA-256; a viewer has no access", async ({
  browser,
}) => {
  const auditor = await session(browser, DEMO.auditor, "/acme/security");
  const { page } = auditor;
  const csp = watchCsp(page);
  try {
    await expect(page.getByTestId("posture-score")).toBeVisible();
    await expect(page.getByTestId("record-snapshot")).toHaveCount(0);
    const downloading = page.waitForEvent("download");
    await page.getByTestId("export-json").click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^warden-security-acme-\d{4}-\d{2}-\d{2}\.json$/);
    const bytes = readFileSync(await download.path());
    const sha = createHash("sha256").update(bytes).digest("hex");
    const report = JSON.parse(bytes.toString("utf8"));
    expect(report.organization.slug).toBe("acme");

    await page.reload();
    const first = page.getByTestId("posture-history").locator("tbody tr").first();
    await expect(first).toContainText("JSON export");
    await first.getByRole("link", { name: "View" }).click();
    await expect(page.getByTestId("security-report")).toContainText(sha);
    await expect(page.getByTestId("report-score")).toHaveText(`Score ${report.score} / 100`);
    expect(csp).toEqual([]);
  } finally {
    await auditor.close();
  }

  const viewer = await session(browser, DEMO.viewer);
  try {
    await expect(viewer.page.getByRole("link", { name: "Security", exact: true })).toHaveCount(0);
    const res = await viewer.page.goto("/acme/security");
    expect(res?.status()).toBe(403);
  } finally {
    await viewer.close();
  }
});
