import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type APIRequestContext, type Browser, type Page } from "@playwright/test";
import { unzipSync } from "fflate";
import { canonicalJson } from "../lib/proof-pack/verify.mjs";
import { DEMO, signIn, watchCsp } from "./helpers";

/**
 * The action behind the pack is made by the action firewall's own REST API,
 * as the people who would do it: the admin creates an agent, a key bound to
 * it and a policy that needs an approval; the agent submits; an approver
 * approves (through POST /api/v1/approvals/{id}/approve: there is no approval
 * page yet). Then the auditor works in the browser only.
 */

type Session = { page: Page; api: APIRequestContext; origin: string; close: () => Promise<void> };

async function session(browser: Browser, email: string): Promise<Session> {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page, email, undefined, "/acme");
  return { page, api: page.request, origin: new URL(page.url()).origin, close: () => context.close() };
}

function writeHeaders(s: Session) {
  return { "x-warden-org": "acme", "content-type": "application/json", origin: s.origin };
}

async function approvedAction(browser: Browser): Promise<{ id: string; tool: string }> {
  const tag = randomBytes(4).toString("hex");
  const tool = `ledger-${tag}`;
  const admin = await session(browser, DEMO.admin);
  try {
    const agent = await admin.api.post("/api/v1/agents", {
      headers: writeHeaders(admin),
      data: { slug: `e2e-audit-${tag}`, name: "E2E ledger agent", environment: "production", tools: { allowed: [tool] } },
    });
    expect(agent.status(), await agent.text()).toBe(201);
    const agentId = (await agent.json()).id as string;
    const key = await admin.api.post("/api/v1/auth/api-keys", {
      headers: writeHeaders(admin),
      data: { name: `e2e audit ${tag}`, environment: "live", scopes: ["actions:submit", "actions:read"], agent_id: agentId },
    });
    expect(key.status(), await key.text()).toBe(201);
    const token = (await key.json()).token as string;

    // Keep whatever the active policy says, with one rule in front for this tool.
    const active = await (await admin.api.get("/api/v1/policies/active", { headers: { "x-warden-org": "acme" } })).json();
    const keep = (active.rules as Record<string, unknown>[]).map((r) =>
      Object.fromEntries(
        Object.entries(r).filter(([k, v]) => ["name", "condition", "effect", "risk_level", "reason", "approvals_required", "approval_ttl_seconds"].includes(k) && v !== undefined),
      ),
    );
    const draft = await admin.api.post("/api/v1/policies", {
      headers: writeHeaders(admin),
      data: {
        description: `e2e audit ${tag}`,
        rules: [{ name: `ledger ${tag} needs approval`, condition: `tool == "${tool}"`, effect: "require_approval", risk_level: "high" }, ...keep],
      },
    });
    expect(draft.status(), await draft.text()).toBe(201);
    const version = (await draft.json()).version as number;
    const published = await admin.api.post(`/api/v1/policies/${version}/publish`, { headers: writeHeaders(admin) });
    expect(published.status(), await published.text()).toBe(200);

    const submitted = await admin.api.post("/api/v1/actions", {
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      data: { tool, operation: "transfer", params: { amount: 1250, to: "acct_e2e" } },
    });
    expect(submitted.status(), await submitted.text()).toBe(201);
    const action = await submitted.json();
    expect(action.status).toBe("pending");

    const approver = await session(browser, DEMO.approver);
    try {
      const approved = await approver.api.post(`/api/v1/approvals/${action.approval.id}/approve`, {
        headers: writeHeaders(approver),
        data: { reason: "checked in the e2e test", payload_hash: action.payload_hash },
      });
      expect(approved.status(), await approved.text()).toBe(200);
      expect((await approved.json()).action.status).toBe("approved");
    } finally {
      await approver.close();
    }
    return { id: action.id as string, tool };
  } finally {
    await admin.close();
  }
}

test("an auditor finds an approved action, exports its proof pack in the browser, and verify.mjs says OK", async ({ browser }) => {
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
    await page.getByRole("link", { name: `action ${action.id.slice(0, 8)}…` }).first().click();
    await expect(page.getByRole("heading", { name: `${action.tool} / transfer` })).toBeVisible();
    await expect(page.getByTestId("action-events")).toContainText("approval.approved");

    const downloading = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export proof pack" }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`warden-proof-pack-${action.id}.zip`);
    const zip = readFileSync(await download.path());
    for (const [name, bytes] of Object.entries(unzipSync(zip))) writeFileSync(join(dir, name), bytes);

    const run = spawnSync(process.execPath, ["verify.mjs"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "", NODE_ENV: "production" } });
    expect(run.stdout).toMatch(/^OK: Warden proof pack verified/);
    expect(run.stdout).toContain(`${action.id} (${action.tool} / transfer)`);
    expect(run.stdout).toContain("approvals        1");
    expect(run.status).toBe(0);
    await expect(page.getByRole("status")).toContainText("Saved warden-proof-pack-");

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

test("an auditor opens an event's canonical JSON and downloads a JSONL export whose hashes recheck", async ({ browser }) => {
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
    await page.getByRole("form", { name: "Export the audit trail" }).getByRole("button", { name: "Download export" }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^warden-audit-acme-start-now\.jsonl$/);
    const lines = readFileSync(await download.path(), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0].seq).toBe(1);
    expect(lines[0].prev_hash).toBe("0".repeat(64));
    // Every line's hash rechecks, and each links to the one before.
    lines.forEach((l, i) => {
      const hash = createHash("sha256").update(Buffer.from(l.prev_hash, "hex")).update(canonicalJson(l.event), "utf8").digest("hex");
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
      await expect(s.page.getByRole("list", { name: "Main" }).first().getByRole("link", { name: "Audit" })).toHaveCount(0);
      const res = await s.page.goto("/acme/audit");
      expect(res?.status()).toBe(403);
      expect((await s.api.get("/api/v1/audit/events", { headers: { "x-warden-org": "acme" } })).status()).toBe(403);
      expect((await s.api.get("/api/v1/audit/export?format=jsonl", { headers: { "x-warden-org": "acme" } })).status()).toBe(403);
    } finally {
      await s.close();
    }
  }
});
