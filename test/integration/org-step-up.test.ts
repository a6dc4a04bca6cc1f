import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as exportsPost } from "@/app/api/v1/audit/exports/route";
import { GET as exportGet } from "@/app/api/v1/audit/export/route";
import { POST as createKeyRoute } from "@/app/api/v1/auth/api-keys/route";
import { POST as rotateRoute } from "@/app/api/v1/auth/api-keys/[id]/rotate/route";
import { POST as emergencyRoute } from "@/app/api/v1/auth/emergency-revoke/route";
import { GET as packRoute } from "@/app/api/v1/proof-pack/[actionId]/route";
import { closeDb } from "@/lib/db/client";
import { approvedAction, setUpFirewall, type Firewall } from "../helpers/actions";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, type TestOrg } from "../helpers/fixtures";
import { call, callRaw, sessionCookie } from "../helpers/http";
import { bearer, createKey } from "../helpers/keys";
import { enrolTotp, stepUpHeader, totpStepUp } from "../helpers/step-up";

/**
 * Step-up for organization operations (lib/auth/step-up.ts requireOrgStepUp):
 * a person with a second factor presents a fresh grant for exactly the
 * purpose, in exactly this organization, once; API keys are not subject to MFA.
 */
let t: TestOrg;
let other: TestOrg;
let fw: Firewall;
let admin: { cookie: string; userId: string; secret: string };
let packAction: { id: string };

beforeAll(async () => {
  [t, other] = await Promise.all([createTestOrg("orgstep"), createTestOrg("orgstep-b")]);
  fw = await setUpFirewall(t);
  packAction = await approvedAction(t, fw); // before the emergency revoke below ends the agent's key
  // the admin of t is also a member (admin) of the other organization
  await owner().query(`INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'admin')`, [
    other.org.id,
    t.users.admin.id,
  ]);
  const s = await sessionCookie(t.users.admin.id);
  admin = { cookie: s.cookie, userId: t.users.admin.id, secret: await enrolTotp(s.cookie) };
});
afterAll(async () => {
  await closeOwner();
  await closeDb();
});

const keyCount = async (orgId: string) =>
  (await owner().query(`SELECT count(*)::int n FROM api_keys WHERE org_id = $1`, [orgId])).rows[0].n as number;
const lastEvent = async (orgId: string, action: string) =>
  (
    await owner().query(`SELECT * FROM audit_events WHERE org_id = $1 AND action = $2 ORDER BY seq DESC LIMIT 1`, [
      orgId,
      action,
    ])
  ).rows[0];
const keyBody = { name: "stepped", scopes: ["actions:read"] };
const createKey$ = (headers: Record<string, string> = {}, org = t.org.slug, cookie = admin.cookie) =>
  call(createKeyRoute, { method: "POST", cookie, org, body: keyBody, headers });

describe("creating an API key", () => {
  it("a person with a factor needs a grant for keys.create in this organization; each grant works once", async () => {
    const before = await keyCount(t.org.id);
    const bare = await createKey$();
    expect(bare.status).toBe(401);
    expect(bare.json.code).toBe("step_up_required");
    expect((await createKey$({ "x-warden-step-up": "not-a-uuid" })).json.code).toBe("step_up_required");

    // a grant for another purpose, or for another organization, does not serve
    const exportGrant = await totpStepUp(admin, { purpose: "audit.export", org: t.org.slug });
    expect((await createKey$(stepUpHeader(exportGrant))).json.code).toBe("step_up_required");
    const otherOrgGrant = await totpStepUp(admin, { purpose: "keys.create", org: other.org.slug });
    expect((await createKey$(stepUpHeader(otherOrgGrant))).json.code).toBe("step_up_required");
    expect(await keyCount(t.org.id)).toBe(before);

    const grant = await totpStepUp(admin, { purpose: "keys.create", org: t.org.slug });
    const ok = await createKey$(stepUpHeader(grant));
    expect(ok.status).toBe(201);
    expect((await lastEvent(t.org.id, "api_key.created")).data).toMatchObject({ step_up: "totp" });
    // replay of the same grant
    expect((await createKey$(stepUpHeader(grant))).json.code).toBe("step_up_required");
    expect(await keyCount(t.org.id)).toBe(before + 1);
    // the other organization's grant still works there (it was not consumed by the refusal)
    expect((await createKey$(stepUpHeader(otherOrgGrant), other.org.slug)).status).toBe(201);
  });

  it("another session of the same person cannot use the grant", async () => {
    const grant = await totpStepUp(admin, { purpose: "keys.create", org: t.org.slug });
    const second = await sessionCookie(t.users.admin.id);
    expect((await createKey$(stepUpHeader(grant), t.org.slug, second.cookie)).json.code).toBe("step_up_required");
  });

  it("a person without a factor creates keys without a step-up (the MFA policy decides whether they may act)", async () => {
    const plain = await sessionCookie(other.users.admin.id);
    const r = await call(createKeyRoute, { method: "POST", cookie: plain.cookie, org: other.org.slug, body: keyBody });
    expect(r.status).toBe(201);
    expect((await lastEvent(other.org.id, "api_key.created")).data).toMatchObject({ step_up: null });
  });

  it("an API key holding keys:write creates keys without MFA (keys are not subject to MFA)", async () => {
    const grant = await totpStepUp(admin, { purpose: "keys.create", org: t.org.slug });
    const made = await call(createKeyRoute, {
      method: "POST",
      cookie: admin.cookie,
      org: t.org.slug,
      body: { name: "automation", scopes: ["keys:write", "actions:read"] },
      headers: stepUpHeader(grant),
    });
    expect(made.status).toBe(201);
    const byKey = await call(createKeyRoute, { method: "POST", headers: bearer(made.json.token), body: keyBody });
    expect(byKey.status).toBe(201);
    expect((await lastEvent(t.org.id, "api_key.created")).actor_type).toBe("api_key");
  });

  it("rotating a key is creating one: it needs the grant too", async () => {
    const k = await createKey(t);
    const bare = await call(rotateRoute, {
      method: "POST",
      cookie: admin.cookie,
      org: t.org.slug,
      params: { id: k.id },
      body: { grace_period_seconds: 0 },
    });
    expect(bare.json.code).toBe("step_up_required");
    const grant = await totpStepUp(admin, { purpose: "keys.create", org: t.org.slug });
    const ok = await call(rotateRoute, {
      method: "POST",
      cookie: admin.cookie,
      org: t.org.slug,
      params: { id: k.id },
      body: { grace_period_seconds: 0 },
      headers: stepUpHeader(grant),
    });
    expect(ok.status).toBe(201);
    expect((await lastEvent(t.org.id, "api_key.rotated")).data).toMatchObject({ step_up: "totp" });
  });
});

describe("emergency revoke", () => {
  it("needs the admin's grant for keys.emergency_revoke; nothing is revoked without it", async () => {
    await createKey(t);
    const usable = async () =>
      (await owner().query(`SELECT count(*)::int n FROM api_keys WHERE org_id = $1 AND revoked_at IS NULL`, [t.org.id]))
        .rows[0].n as number;
    const n = await usable();
    expect(n).toBeGreaterThan(0);
    const wrong = await totpStepUp(admin, { purpose: "keys.create", org: t.org.slug });
    for (const headers of [{}, stepUpHeader(wrong)]) {
      const r = await call(emergencyRoute, {
        method: "POST",
        cookie: admin.cookie,
        org: t.org.slug,
        body: { reason: "leak drill" },
        headers,
      });
      expect(r.json.code).toBe("step_up_required");
    }
    expect(await usable()).toBe(n);
    const grant = await totpStepUp(admin, { purpose: "keys.emergency_revoke", org: t.org.slug });
    const ok = await call(emergencyRoute, {
      method: "POST",
      cookie: admin.cookie,
      org: t.org.slug,
      body: { reason: "leak drill" },
      headers: stepUpHeader(grant),
    });
    expect(ok.status).toBe(200);
    expect(ok.json.revoked_count).toBe(n);
    expect((await lastEvent(t.org.id, "api_key.emergency_revoked")).data).toMatchObject({ step_up: "totp" });
  });
});

describe("exports", () => {
  it("an audit export request needs a grant for audit.export; a link carries it as ?step_up=", async () => {
    const count = async () =>
      (await owner().query(`SELECT count(*)::int n FROM audit_export_requests WHERE org_id = $1`, [t.org.id])).rows[0]
        .n as number;
    const n = await count();
    const bare = await call(exportsPost, {
      method: "POST",
      cookie: admin.cookie,
      org: t.org.slug,
      body: { format: "jsonl" },
    });
    expect(bare.json.code).toBe("step_up_required");
    const linkBare = await callRaw(exportGet, {
      cookie: admin.cookie,
      org: t.org.slug,
      path: "/api/v1/audit/export?format=jsonl",
    });
    expect(linkBare.status).toBe(401);
    expect(await count()).toBe(n);

    const grant = await totpStepUp(admin, { purpose: "audit.export", org: t.org.slug });
    const ok = await call(exportsPost, {
      method: "POST",
      cookie: admin.cookie,
      org: t.org.slug,
      body: { format: "jsonl" },
      headers: stepUpHeader(grant),
    });
    expect(ok.status).toBe(201);
    expect((await lastEvent(t.org.id, "audit.export_requested")).data).toMatchObject({ step_up: "totp" });

    const linkGrant = await totpStepUp(admin, { purpose: "audit.export", org: t.org.slug });
    const link = await callRaw(exportGet, {
      cookie: admin.cookie,
      org: t.org.slug,
      path: `/api/v1/audit/export?format=jsonl&step_up=${linkGrant}`,
    });
    expect(link.status).toBe(200);
    await link.text();
    // the link's grant is used up
    const again = await callRaw(exportGet, {
      cookie: admin.cookie,
      org: t.org.slug,
      path: `/api/v1/audit/export?format=jsonl&step_up=${linkGrant}`,
    });
    expect(again.status).toBe(401);
  });

  it("a proof pack needs a grant for audit.export; a refused pack leaves the grant usable", async () => {
    const action = packAction;
    const bare = await callRaw(packRoute, { cookie: admin.cookie, org: t.org.slug, params: { actionId: action.id } });
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { code: string }).code).toBe("step_up_required");

    const grant = await totpStepUp(admin, { purpose: "audit.export", org: t.org.slug });
    // another organization's action: not found, and the grant is not consumed
    const foreign = await callRaw(packRoute, {
      cookie: admin.cookie,
      org: t.org.slug,
      params: { actionId: "00000000-0000-4000-8000-000000000000" },
      headers: stepUpHeader(grant),
    });
    expect(foreign.status).toBe(404);
    const ok = await callRaw(packRoute, {
      cookie: admin.cookie,
      org: t.org.slug,
      params: { actionId: action.id },
      headers: stepUpHeader(grant),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/zip");
    expect((await lastEvent(t.org.id, "audit.proof_pack_exported")).data).toMatchObject({ step_up: "totp" });
    const replay = await callRaw(packRoute, {
      cookie: admin.cookie,
      org: t.org.slug,
      params: { actionId: action.id },
      headers: stepUpHeader(grant),
    });
    expect(replay.status).toBe(401);
  });
});
