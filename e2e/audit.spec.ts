import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { unzipSync } from "fflate";
import { canonicalJson } from "../lib/proof-pack/verify.mjs";
import { createAgentWithKey } from "./firewall";
import { DEMO, signIn, watchCsp } from "./helpers";

/**
 * The action behind the pack goes through the action firewall as people would
 * use it: the admin registers an agent and its key (e2e/firewall.ts), the
 * agent submits a payment that acme's e2e rules send for approval, and the
 * approver approves it in the approvals queue in the browser. Then the
 * auditor works in the browser only.
 */

type Session = { page: Page; close: () => Promise<void> };

async function session(browser: Browser, email: string, path = "/acme"): Promise<Session> {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page, email, undefined, path);
  return { page, close: () => context.close() };
}

async function approvedAction(browser: Browser): Promise<{ id: string }> {
  const admin = await session(browser, DEMO.admin);
  let agent: { token: string };
  try {
    agent = await createAgentWithKey(admin.page, { prefix: "e2e-audit", tools: { allowed: ["payments"] } });
  } finally {
    await admin.close();
  }
  const approver = await session(browser, DEMO.approver, "/acme/approvals");
  try {
    const submitted = await approver.page.request.post("/api/v1/actions", {
      headers: { authorization: `Bearer ${agent.token}`, "content-type": "application/json" },
      data: {
        tool: "payments",
        operation: "create_payment",
        params: { amount: 2500, currency: "EUR", recipient: "Audit Supplies" },
      },
    });
    expect(submitted.status(), await submitted.text()).toBe(201);
    const action = await submitted.json();
    expect(action.status).toBe("pending");
    const card = approver.page.getByTestId(`approval-${action.id}`);
    await expect(card).toBeVisible({ timeout: 15_000 });
    await card.getByLabel(/^Reason/).fill("Checked for the audit e2e test");
    await card.getByRole("button", { name: /^Approve/ }).click();
    await expect(approver.page.getByRole("status").filter({ hasText: "Quorum reached" })).toBeVisible();
    return { id: action.id as string };
  } finally {
    await approver.close();
  }
}

test("an auditor finds an approved action, exports its proof pack in the browser, and verify.mjs says OK", async ({
  browser,
}) => {
  // Three sessions, an approval, a download and a verifier run: on a loaded 2-core CI machine
  // this took just over the default 60 s with every step passing.
  test.slow();
  const action = await approvedAction(browser);
  const auditor = await session(browser, DEMO.auditor);
  const { page } = auditor;
  const csp = watchCsp(page);
  const dir = mkdtempSync(join(tmpdir(), "warden-e2e-pack-"));
  try {
    await page.getByRole("list", { name: "Main" }).first().getByRole("link", { name: "Audit" }).click();
    await expect(page.getByRole("heading", { name: "Audit trail" })).toBeVisible();
    await expect(page.getByTestId("verification")).toContainText(/Chain verified through #\d+/);

    // Find it: approved actions, then this one.
    const filter = page.getByRole("form", { name: "Filter events" });
    await filter.getByLabel("Event type").fill("action.approved");
    await filter.getByRole("button", { name: "Apply filters" }).click();
    await expect(page).toHaveURL(/action=action\.approved/);
    await page
      .getByRole("link", { name: `action ${action.id.slice(0, 8)}…` })
      .first()
      .click();
    // The audit section's view of the action: its events, and the way to the action's own page.
    await expect(page.getByRole("heading", { name: "payments / create_payment" })).toBeVisible();
    await expect(page.getByTestId("action-events")).toContainText("approval.approved");
    await expect(page.getByRole("button", { name: "Export proof pack" })).toBeVisible();
    await page.getByRole("link", { name: "Open in Actions" }).click();
    await expect(page).toHaveURL(new RegExp(`/acme/actions/${action.id}$`));
    await expect(page.getByTestId("action-status")).toContainText("approved");

    const downloading = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export proof pack" }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`warden-proof-pack-${action.id}.zip`);
    const zip = readFileSync(await download.path());
    for (const [name, bytes] of Object.entries(unzipSync(zip))) writeFileSync(join(dir, name), bytes);

    const run = spawnSync(process.execPath, ["verify.mjs"], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "production" },
    });
    expect(run.stdout).toMatch(/^OK: Warden proof pack verified/);
    expect(run.stdout).toContain(`${action.id} (payments / create_payment)`);
    expect(run.stdout).toContain("approvals        1");
    expect(run.status).toBe(0);
    await expect(page.getByRole("status").filter({ hasText: "Saved warden-proof-pack-" })).toBeVisible();

    // The export itself is now in the trail, and the pack's checkpoint in the list.
    await page.goto("/acme/audit?action=audit.proof_pack_exported");
    await expect(page.getByTestId("audit-events")).toContainText("audit.proof_pack_exported");
    await expect(page.getByTestId("checkpoints")).toContainText("proof pack");
    expect(csp).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await auditor.close();
  }
});

test("an auditor opens an event's canonical JSON and downloads a JSONL export whose hashes recheck", async ({
  browser,
}) => {
  const auditor = await session(browser, DEMO.auditor);
  const { page } = auditor;
  try {
    await page.goto("/acme/audit");
    await page.getByTestId("audit-events").locator("tbody tr").first().getByRole("link").first().click();
    await expect(page.getByRole("heading", { name: /^Event #\d+$/ })).toBeVisible();
    await expect(page.getByText("matches: content unchanged")).toBeVisible();
    const canonical = await page.getByTestId("canonical-json").textContent();
    expect(JSON.parse(canonical ?? "")).toHaveProperty("org_id");

    await page.goto("/acme/audit");
    const downloading = page.waitForEvent("download");
    await page
      .getByRole("form", { name: "Export the audit trail" })
      .getByRole("button", { name: "Download export" })
      .click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^warden-audit-acme-start-now\.jsonl$/);
    const lines = readFileSync(await download.path(), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0].seq).toBe(1);
    expect(lines[0].prev_hash).toBe("0".repeat(64));
    // Every line's hash rechecks, and each links to the one before.
    lines.forEach((l, i) => {
      const hash = createHash("sha256")
        .update(Buffer.from(l.prev_hash, "hex"))
        .update(canonicalJson(l.event), "utf8")
        .digest("hex");
      expect(hash).toBe(l.hash);
      if (i > 0) expect(l.prev_hash).toBe(lines[i - 1].hash);
    });
  } finally {
    await auditor.close();
  }
});

test("viewers and approvers have no audit section, page or API", async ({ browser }) => {
  for (const email of [DEMO.viewer, DEMO.approver]) {
    const s = await session(browser, email);
    try {
      await expect(s.page.getByRole("list", { name: "Main" }).first().getByRole("link", { name: "Audit" })).toHaveCount(
        0,
      );
      const res = await s.page.goto("/acme/audit");
      expect(res?.status()).toBe(403);
      expect((await s.page.request.get("/api/v1/audit/events", { headers: { "x-warden-org": "acme" } })).status()).toBe(
        403,
      );
      expect(
        (
          await s.page.request.get("/api/v1/audit/export?format=jsonl", { headers: { "x-warden-org": "acme" } })
        ).status(),
      ).toBe(403);
    } finally {
      await s.close();
    }
  }
});
