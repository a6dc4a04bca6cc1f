import { defineConfig, devices } from "@playwright/test";
import { readEnvFile } from "./scripts/lib/local-env.ts";

/**
 * End-to-end tests against the production build (`next build` first), served by
 * server.mjs on a seeded database of their own (see scripts/test.sh), in
 * Debian's Chromium. Playwright's own browser downloads do not work offline.
 */
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://localhost:${port}`;
// Written by `tsx scripts/setup.ts --database warden_e2e --runtime-env .warden/warden_e2e.env` (scripts/test.sh).
const serverEnv = readEnvFile(process.env.E2E_ENV_FILE ?? ".warden/warden_e2e.env");

export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  workers: 2,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--headless",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    // e2e/*.setup.ts: shared preconditions, once, before every spec (see e2e/firewall.setup.ts).
    { name: "setup", testMatch: /.*\.setup\.ts/ },
    { name: "chromium", use: { ...devices["Desktop Chrome"] }, dependencies: ["setup"] },
  ],
  webServer: {
    command: "node server.mjs",
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      ...serverEnv,
      PORT: String(port),
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      // SSO specs run their identity providers on http://127.0.0.1 (lib/sso/idp-fetch.ts):
      // production refuses both unless allowed, so the e2e server allows exactly that.
      WARDEN_SSO_ALLOW_HTTP: "1",
      WARDEN_SSO_PRIVATE_IDP_CIDRS: "127.0.0.1/32",
    },
  },
});
