import { expect, test, type Page } from "@playwright/test";
import { DEMO, signIn, watchCsp } from "./helpers";

/** The element that has focus, described by its accessible name or text. */
async function focused(page: Page): Promise<{ inDialog: boolean; text: string }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return {
      inDialog: Boolean(el?.closest("dialog[open]")),
      text: (el?.getAttribute("aria-label") ?? el?.textContent ?? "").trim(),
    };
  });
}

test("the dialog takes focus, keeps Tab inside, closes on Escape and gives focus back", async ({ page }) => {
  const csp = watchCsp(page);
  await signIn(page, DEMO.admin, undefined, "/acme/members");
  const row = page.getByTestId(`member-${DEMO.viewer}`);
  const remove = row.getByRole("button", { name: "Remove" });
  await remove.focus();
  await page.keyboard.press("Enter");

  const dialog = page.getByRole("dialog", { name: `Remove ${DEMO.viewer}?` });
  await expect(dialog).toBeVisible();
  // Focus moved in, to the safe choice.
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  // The page behind is inert: Tab and Shift+Tab cycle through the dialog's controls only.
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press("Tab");
    expect((await focused(page)).inDialog).toBe(true);
  }
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press("Shift+Tab");
    expect((await focused(page)).inDialog).toBe(true);
  }
  // Escape closes it without removing anyone, and focus is back on the button that opened it.
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(remove).toBeFocused();
  await expect(row).toBeVisible();

  // Cancel works the same way.
  await remove.click();
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(remove).toBeFocused();
  expect(csp).toEqual([]);
});

test("a refused form shows the error next to the field it is about", async ({ page }) => {
  await signIn(page, DEMO.admin, undefined, "/acme/keys");
  const form = page.getByRole("form", { name: "Create a key" });
  await form.getByLabel("Name").fill("bad allowlist");
  await form.getByLabel("IP allowlist (optional)").fill("not-an-address");
  await form.getByRole("button", { name: "Create key" }).click();
  const field = form.getByLabel("IP allowlist (optional)");
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(form.locator("#key-ips-error")).toBeVisible();
  await expect(form.getByRole("alert")).toContainText("See the field marked below");
});
