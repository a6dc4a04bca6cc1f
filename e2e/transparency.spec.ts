import { expect, test } from "@playwright/test";
import { verifyNote } from "../lib/proof-pack/verify.mjs";
import { DEMO, signIn, watchCsp } from "./helpers";

/**
 * The transparency-log side of the audit page: an auditor signs two
 * checkpoints, proves in the browser that the log only grew between them, and
 * the signed note the API serves verifies with the verifier key the page shows.
 */
test("an auditor proves two checkpoints consistent in the browser; the served signed note verifies with the shown key", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const csp = watchCsp(page);
  try {
    await signIn(page, DEMO.auditor, undefined, "/acme/audit");
    const signed: number[] = [];
    for (let i = 0; i < 2; i++) {
      const notice = page.getByRole("status").filter({ hasText: "Signed checkpoint #" });
      const before = (await notice.count()) > 0 ? await notice.textContent() : null;
      await page.getByRole("button", { name: "Sign a checkpoint now" }).click();
      await expect(notice).toBeVisible();
      await expect(notice).not.toHaveText(before ?? "");
      signed.push(Number(/#(\d+)/.exec((await notice.textContent()) ?? "")![1]));
    }
    // Signing is audited, so the second checkpoint covers more events than the first.
    expect(signed[1]).toBeGreaterThan(signed[0]!);
    await page.reload();

    const form = page.getByRole("form", { name: "Prove consistency between two checkpoints" });
    const optionOf = async (field: string, size: number) =>
      (await form
        .getByLabel(field)
        .locator("option", { hasText: new RegExp(`^#${size} `) })
        .first()
        .getAttribute("value"))!;
    await form.getByLabel("Older checkpoint").selectOption(await optionOf("Older checkpoint", signed[0]!));
    await form.getByLabel("Newer checkpoint").selectOption(await optionOf("Newer checkpoint", signed[1]!));
    await form.getByRole("button", { name: "Prove consistency" }).click();
    const result = page.getByTestId("consistency-result");
    await expect(result).toContainText("Consistent.");
    await expect(result).toContainText(`is exactly the first ${signed[0]} events of the log of ${signed[1]} events`);
    await expect(result).toContainText("This browser checked the");

    // The order reversed is refused next to the field, before any request.
    await form.getByLabel("Older checkpoint").selectOption(await optionOf("Older checkpoint", signed[1]!));
    await form.getByLabel("Newer checkpoint").selectOption(await optionOf("Newer checkpoint", signed[0]!));
    await form.getByRole("button", { name: "Prove consistency" }).click();
    await expect(form.getByText("Choose a checkpoint at least as large as the older one.")).toBeVisible();
    await expect(result).toHaveCount(0);

    // The verifier key on the page verifies the note the API serves.
    const vkey = ((await page.getByTestId("verifier-keys").locator("code").first().textContent()) ?? "").trim();
    expect(vkey).toMatch(/\/audit\/[0-9a-f-]{36}\+[0-9a-f]{8}\+/);
    const res = await page.request.get("/api/v1/audit/checkpoint", { headers: { "x-warden-org": "acme" } });
    expect(res.status()).toBe(200);
    expect(res.headers()["content-type"]).toBe("text/plain; charset=utf-8");
    const note = await res.text();
    expect(verifyNote(note, [vkey])).toMatchObject({ ok: true });
    expect(
      verifyNote(
        note.replace(/\n(\d+)\n/, (_m, n: string) => `\n${Number(n) + 1}\n`),
        [vkey],
      ).ok,
    ).toBe(false);
    expect(csp).toEqual([]);
  } finally {
    await context.close();
  }
});
