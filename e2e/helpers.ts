import { expect, type Page } from "@playwright/test";

export const PASSWORD = process.env.WARDEN_DEMO_PASSWORD ?? "";
if (!PASSWORD) throw new Error("WARDEN_DEMO_PASSWORD must be set for e2e tests (scripts/test.sh does it)");

export const DEMO = {
  admin: "admin@acme.test",
  approver: "approver@acme.test",
  auditor: "auditor@acme.test",
  viewer: "viewer@acme.test",
  globex: "admin@globex.test",
} as const;

/** Collects Content-Security-Policy violations reported by the page. */
export function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on("console", (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to (execute|load|apply)/i.test(text)) violations.push(text);
  });
  return violations;
}

export async function signIn(page: Page, email: string, password = PASSWORD, next?: string): Promise<void> {
  await page.goto(next ? `/login?next=${encodeURIComponent(next)}` : "/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(page).toHaveURL(/\/login/);
}
