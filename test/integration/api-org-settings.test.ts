import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET, PATCH } from "@/app/api/v1/org/settings/route";
import { closeDb } from "@/lib/db/client";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";

let t: TestOrg;
let admin: string;
let approver: string;
beforeAll(async () => {
  t = await createTestOrg("set");
  admin = (await sessionCookie(t.users.admin.id)).cookie;
  approver = (await sessionCookie(t.users.approver.id)).cookie;
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

describe("/api/v1/org/settings", () => {
  it("200 GET and PATCH for an admin; changes audited with before/after", async () => {
    expect((await call(GET, { cookie: admin, org: t.org.slug })).json).toMatchObject({
      slug: t.org.slug,
      session_idle_timeout_seconds: 1800,
      payload_retention_days: null,
    });
    const res = await call(PATCH, {
      method: "PATCH",
      cookie: admin,
      org: t.org.slug,
      body: {
        sensitive_keys: ["iban"],
        http_allowed_domains: ["API.example.com", "*.example.org"],
        payload_retention_days: 30,
        session_idle_timeout_seconds: 900,
      },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      sensitive_keys: ["iban"],
      http_allowed_domains: ["api.example.com", "*.example.org"],
      payload_retention_days: 30,
      session_idle_timeout_seconds: 900,
    });
    const ev = (
      await owner().query(`SELECT action, data FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`, [
        t.org.id,
      ])
    ).rows[0];
    expect(ev).toMatchObject({
      action: "org.settings_updated",
      data: { changes: { payload_retention_days: { from: null, to: 30 } } },
    });
  });
  it.each([
    [{ http_allowed_private_cidrs: ["10.0.0.0/33"] }],
    [{ http_allowed_domains: ["*"] }],
    [{ session_idle_timeout_seconds: 10 }],
    [{ session_idle_timeout_seconds: 86_400, session_absolute_timeout_seconds: 3600 }],
    [{ payload_retention_days: 0 }],
    [{}],
  ])("422 for %j", async (body) => {
    expect((await call(PATCH, { method: "PATCH", cookie: admin, org: t.org.slug, body })).status).toBe(422);
  });
  it("403 for an approver, 401 without a session", async () => {
    expect((await call(GET, { cookie: approver, org: t.org.slug })).status).toBe(403);
    expect(
      (await call(PATCH, { method: "PATCH", cookie: approver, org: t.org.slug, body: { name: "x" } })).status,
    ).toBe(403);
    expect((await call(GET, { org: t.org.slug })).status).toBe(401);
  });
});
