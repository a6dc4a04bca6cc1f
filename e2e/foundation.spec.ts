import { expect, test } from "@playwright/test";
import { DEMO, signIn, signOut, watchCsp } from "./helpers";

test.describe("each demo role sees what its role allows", () => {
  const cases = [
    { email: DEMO.admin, role: "Admin", members: true, activity: true },
    { email: DEMO.approver, role: "Approver", members: false, activity: false },
    { email: DEMO.auditor, role: "Auditor", members: false, activity: true },
    { email: DEMO.viewer, role: "Viewer", members: false, activity: false },
  ];
  for (const c of cases) {
    test(`${c.role}`, async ({ page }) => {
      const csp = watchCsp(page);
      await signIn(page, c.email, undefined, "/acme");
      await expect(page).toHaveURL(/\/acme$/);
      await expect(page.getByRole("heading", { name: "Acme Corp" })).toBeVisible();
      await expect(page.getByTestId("current-role")).toHaveText(c.role);
      const nav = page.getByRole("list", { name: "Main" }).first();
      await expect(nav.getByRole("link", { name: "Overview" })).toBeVisible();
      await expect(nav.getByRole("link", { name: "Members" })).toHaveCount(c.members ? 1 : 0);
      await expect(page.getByTestId("recent-activity")).toHaveCount(c.activity ? 1 : 0);
      if (c.activity) await expect(page.getByTestId("recent-activity")).toContainText("auth.sign_in");
      expect(csp).toEqual([]);
    });
  }
});

test("a viewer is refused the members page (403) and its API", async ({ page }) => {
  await signIn(page, DEMO.viewer);
  const res = await page.goto("/acme/members");
  expect(res?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();
  const api = await page.request.get("/api/v1/members", { headers: { "x-warden-org": "acme" } });
  expect(api.status()).toBe(403);
  expect(api.headers()["content-type"]).toBe("application/problem+json");
});

test("the globex admin gets 404 on acme's pages and API", async ({ page }) => {
  await signIn(page, DEMO.globex);
  await expect(page).toHaveURL(/\/globex$/);
  for (const path of ["/acme", "/acme/members"]) {
    const res = await page.goto(path);
    expect(res?.status(), path).toBe(404);
    await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  }
  const api = await page.request.get("/api/v1/members", { headers: { "x-warden-org": "acme" } });
  expect(api.status()).toBe(404);
});

test("sign-out ends the session: the old cookie no longer works", async ({ page, browser }) => {
  await signIn(page, DEMO.auditor);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "next-auth.session-token");
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Lax");
  await signOut(page);

  // Replay the old cookie from a fresh browser context.
  const replay = await browser.newContext();
  await replay.addCookies([session!]);
  const api = await replay.request.get("/api/v1/session");
  expect(api.status()).toBe(401);
  const p = await replay.newPage();
  await p.goto("/acme");
  await expect(p).toHaveURL(/\/login\?next=%2Facme/);
  await replay.close();
});

test("signing in with a wrong password shows an error and stays on the sign-in page", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(DEMO.viewer);
  await page.getByLabel("Password").fill("definitely-not-it");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByText("Invalid email or password")).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test("an unauthenticated visit goes to sign-in and comes back afterwards", async ({ page }) => {
  await page.goto("/acme/members");
  await expect(page).toHaveURL(/\/login\?next=%2Facme%2Fmembers/);
  await page.getByLabel("Email").fill(DEMO.admin);
  await page.getByLabel("Password").fill(process.env.WARDEN_DEMO_PASSWORD!);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/acme\/members$/);
});

test("unsupported methods answer 405 problem+json with Allow and a request id, on API routes and pages", async ({
  request,
}) => {
  const cases = [
    { method: "TRACE", path: "/api/v1/agents", allow: "GET, HEAD, POST, OPTIONS" },
    { method: "PROPFIND", path: "/api/health", allow: "GET, HEAD, OPTIONS" },
    { method: "PATCH", path: "/api/health", allow: "GET, HEAD, OPTIONS" },
    { method: "DELETE", path: "/api/v1/auth/whoami", allow: "GET, HEAD, OPTIONS" },
    { method: "TRACE", path: "/", allow: "GET, HEAD, OPTIONS" },
    { method: "POST", path: "/login", allow: "GET, HEAD, OPTIONS" },
  ];
  for (const c of cases) {
    // server.mjs strips a client's own copy of its internal method marker.
    const res = await request.fetch(c.path, { method: c.method, headers: { "x-warden-unsupported-method": "GET" } });
    expect(res.status(), `${c.method} ${c.path}`).toBe(405);
    expect(res.headers()["content-type"]).toBe("application/problem+json");
    expect(res.headers()["allow"]).toBe(c.allow);
    const body = await res.json();
    expect(body).toMatchObject({ status: 405, code: "method_not_allowed", detail: expect.stringContaining(c.method) });
    expect(res.headers()["x-request-id"]).toBe(body.request_id);
  }
  const options = await request.fetch("/api/v1/agents", { method: "OPTIONS" });
  expect(options.status()).toBe(204);
  expect(options.headers()["allow"]).toBe("GET, HEAD, POST, OPTIONS");
});
