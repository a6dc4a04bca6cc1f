import { test as setup } from "@playwright/test";
import { ensureBasePolicy } from "./firewall";
import { DEMO, signIn } from "./helpers";

/**
 * Runs once before the specs (the "setup" project): the firewall specs share
 * acme's active policy, so its e2e rules are published here, before any spec
 * runs, instead of racing to publish them from parallel workers.
 */
setup("acme's policy has the e2e rules", async ({ page }) => {
  await signIn(page, DEMO.admin, undefined, "/acme");
  await ensureBasePolicy(page);
});
