import { expect, test } from "@playwright/test";
import { DEMO, signIn, watchCsp } from "./helpers";

test("an admin invites a new person, who sets a password and lands with the given role; role change and removal follow", async ({
  page,
  browser,
}) => {
  const csp = watchCsp(page);
  const email = `new-${Date.now()}@example.com`;
  await signIn(page, DEMO.admin);
  await page.getByRole("link", { name: "Members" }).first().click();
  await expect(page.getByTestId("members-table")).toContainText(DEMO.viewer);

  const form = page.getByRole("form", { name: "Add a member" });
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Role").selectOption("approver");
  await form.getByRole("button", { name: "Add member" }).click();
  const link = page.getByTestId("invitation-link");
  await expect(link).toBeVisible();
  const url = await link.getByLabel("Invitation link").inputValue();
  expect(url).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(page.getByTestId(`member-${email}`)).toContainText("Invited");

  // The invitee, in their own browser.
  const invitee = await browser.newContext();
  const ip = await invitee.newPage();
  await ip.goto(url);
  await expect(ip.getByRole("heading", { name: "Join Acme Corp" })).toBeVisible();
  await ip.getByLabel("Your name").fill("Nia New");
  await ip.getByLabel("Password", { exact: true }).fill("a-very-good-password");
  await ip.getByLabel("Repeat password").fill("a-very-good-password");
  await ip.getByRole("button", { name: "Create account and join" }).click();
  await expect(ip).toHaveURL(/\/acme$/);
  await expect(ip.getByTestId("current-role")).toHaveText("Approver");
  // The link works once.
  await ip.goto(url);
  await expect(ip.getByRole("heading", { name: "This link does not work" })).toBeVisible();
  await invitee.close();

  // Back to the admin: the member is active; change the role, then remove.
  await page.reload();
  const row = page.getByTestId(`member-${email}`);
  await expect(row).toContainText("Active");
  await row.getByLabel(`Role of ${email}`).selectOption("auditor");
  await expect(page.getByRole("status")).toContainText(`${email} is now auditor`);
  await row.getByRole("button", { name: "Remove" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove member" }).click();
  await expect(page.getByRole("status")).toContainText(`${email} was removed`);
  await expect(page.getByTestId(`member-${email}`)).toHaveCount(0);
  expect(csp).toEqual([]);
});

test("the last admin cannot be demoted from the members page", async ({ page }) => {
  await signIn(page, DEMO.globex);
  await page.goto("/globex/members");
  await page.getByLabel(`Role of ${DEMO.globex}`).selectOption("viewer");
  await expect(page.getByText("An organization must keep at least one admin")).toBeVisible();
  await page.reload();
  await expect(page.getByLabel(`Role of ${DEMO.globex}`)).toHaveValue("admin");
});

test("a member of two organizations switches between them", async ({ page, browser }) => {
  // The globex admin adds acme's auditor to globex as a viewer.
  await signIn(page, DEMO.globex);
  await page.goto("/globex/members");
  const existing = page.getByTestId(`member-${DEMO.auditor}`);
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  if ((await existing.count()) === 0) {
    // An existing account is invited and joins only once it accepts.
    const form = page.getByRole("form", { name: "Add a member" });
    await form.getByLabel("Email").fill(DEMO.auditor);
    await form.getByLabel("Role").selectOption("viewer");
    await form.getByRole("button", { name: "Add member" }).click();
    const url = await page.getByTestId("invitation-link").getByLabel("Invitation link").inputValue();
    await signIn(p, DEMO.auditor);
    await p.goto(url);
    await p.getByRole("button", { name: "Accept and join" }).click();
    await expect(p).toHaveURL(/\/globex$/);
    await p.goto("/");
  } else {
    await signIn(p, DEMO.auditor);
  }
  await expect(p.getByRole("heading", { name: "Choose an organization" })).toBeVisible();
  await p.getByRole("link", { name: /Acme Corp/ }).click();
  await expect(p).toHaveURL(/\/acme$/);
  await p.getByLabel("Organization").first().selectOption("globex");
  await expect(p).toHaveURL(/\/globex$/);
  await expect(p.getByTestId("current-role")).toHaveText("Viewer");
  await ctx.close();
});

test("an existing account is invited, sees nothing until it accepts, then joins with the given role", async ({
  page,
  browser,
}) => {
  const csp = watchCsp(page);
  await signIn(page, DEMO.admin);
  await page.goto("/acme/members");
  const form = page.getByRole("form", { name: "Add a member" });
  await form.getByLabel("Email").fill(DEMO.globex);
  await form.getByLabel("Role").selectOption("viewer");
  await form.getByRole("button", { name: "Add member" }).click();
  // The same answer as for a new address: invited, with a link.
  const url = await page.getByTestId("invitation-link").getByLabel("Invitation link").inputValue();
  await expect(page.getByTestId(`member-${DEMO.globex}`)).toContainText("Invited");

  const invitee = await browser.newContext();
  const ip = await invitee.newPage();
  const inviteeCsp = watchCsp(ip);
  await signIn(ip, DEMO.globex);
  // Not a member yet: the organization answers 404 and is not in the list.
  const before = await ip.goto("/acme");
  expect(before?.status()).toBe(404);
  await ip.goto(url);
  await expect(ip.getByRole("heading", { name: "Join Acme Corp" })).toBeVisible();
  await ip.getByRole("button", { name: "Accept and join" }).click();
  await expect(ip).toHaveURL(/\/acme$/);
  await expect(ip.getByTestId("current-role")).toHaveText("Viewer");
  await invitee.close();

  await page.reload();
  const row = page.getByTestId(`member-${DEMO.globex}`);
  await expect(row).toContainText("Active");
  await row.getByRole("button", { name: "Remove" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove member" }).click();
  await expect(page.getByTestId(`member-${DEMO.globex}`)).toHaveCount(0);
  expect(csp).toEqual([]);
  expect(inviteeCsp).toEqual([]);
});
