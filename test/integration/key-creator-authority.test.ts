import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as listAgents } from "@/app/api/v1/agents/route";
import { GET as listKeys, POST as createKeyRoute } from "@/app/api/v1/auth/api-keys/route";
import { GET as whoami } from "@/app/api/v1/auth/whoami/route";
import { PATCH as changeRole, DELETE as removeMemberRoute } from "@/app/api/v1/members/[userId]/route";
import { GET as listMembers } from "@/app/api/v1/members/route";
import { closeDb } from "@/lib/db/client";
import { createApiKey } from "@/lib/keys/create-api-key";
import { verifyApiKey } from "@/lib/keys/verify-api-key";
import { provisionMember } from "@/lib/members/provision-member";
import { systemContext } from "@/lib/rbac/context";
import { closeOwner, owner } from "../helpers/db";
import { createTestOrg, TEST_PASSWORD, type TestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";
import { bearer, createKey, memberContext } from "../helpers/keys";

/**
 * A key acts for the person who created it and never for more than that
 * person holds now: demotion narrows it, removal revokes it, and a key whose
 * person is gone is refused.
 */

let t: TestOrg;
let other: TestOrg;
afterAll(async () => {
  await closeOwner();
  await closeDb();
});
beforeAll(async () => {
  [t, other] = await Promise.all([createTestOrg("authority"), createTestOrg("authority-b")]);
});

let n = 0;
/** A second admin (the organization keeps its first), and a key they create. */
async function adminWithKey(scopes: string[]) {
  const email = `admin${++n}@${t.org.slug}.test`;
  const { userId } = await provisionMember({
    orgId: t.org.id,
    email,
    name: email,
    role: "admin",
    password: TEST_PASSWORD,
  });
  const ctx = memberContext(t, "admin", { id: userId, email });
  const created = await createApiKey(ctx, { name: `by ${email}`, scopes }, null);
  return { userId, email, key: { id: created.key.id, token: created.token } };
}

let adminSession: string;
beforeAll(async () => {
  adminSession = (await sessionCookie(t.users.admin.id)).cookie;
});
const asAdmin = () => ({ cookie: adminSession, org: t.org.slug });

async function setRole(userId: string, role: string) {
  const res = await call(changeRole, { method: "PATCH", ...asAdmin(), params: { userId }, body: { role } });
  expect(res.status).toBe(200);
}

describe("a key acts within its creator's current role", () => {
  it("demoting the creator suspends the scopes beyond the new role; promoting them back restores them", async () => {
    const { userId, key } = await adminWithKey(["agents:read", "keys:read", "actions:submit"]);
    expect((await call(listKeys, { headers: bearer(key.token) })).status).toBe(200);

    await setRole(userId, "viewer");
    const who = await call(whoami, { headers: bearer(key.token) });
    expect(who.status).toBe(200);
    expect(who.json.key.scopes).toEqual(["agents:read"]);
    expect(who.json.key.suspended_scopes).toEqual(["keys:read", "actions:submit"]);

    expect((await call(listAgents, { headers: bearer(key.token) })).status).toBe(200);
    const refused = await call(listKeys, { headers: bearer(key.token) });
    expect(refused.status).toBe(403);
    expect(refused.json.detail).toMatch(/keys:read scope is suspended/);
    expect((await verifyApiKey(key.token, { ip: null, permission: "actions:submit" })).status).toBe(
      "insufficient_scope",
    );

    // The admin's list shows which scopes are suspended and why.
    const listed = await call(listKeys, asAdmin());
    const view = listed.json.keys.find((k: { id: string }) => k.id === key.id);
    expect(view).toMatchObject({
      status: "active",
      suspended_scopes: ["keys:read", "actions:submit"],
      created_by: { type: "user", id: userId, role: "viewer" },
    });

    await setRole(userId, "admin");
    expect((await call(listKeys, { headers: bearer(key.token) })).status).toBe(200);
    expect((await call(whoami, { headers: bearer(key.token) })).json.key.suspended_scopes).toEqual([]);
  });

  it("an auditor creator keeps the audit scopes, loses the admin ones", async () => {
    const { userId, key } = await adminWithKey(["audit:read", "agents:write"]);
    await setRole(userId, "auditor");
    const who = await call(whoami, { headers: bearer(key.token) });
    expect(who.json.key).toMatchObject({ scopes: ["audit:read"], suspended_scopes: ["agents:write"] });
  });
});

describe("removing the creator revokes the keys that act for them", () => {
  it("revokes their usable keys (and keys their keys made) in the removal's transaction, each audited; other keys keep working", async () => {
    const { userId, email, key } = await adminWithKey(["keys:write", "keys:read", "actions:read"]);
    const child = await call(createKeyRoute, {
      method: "POST",
      headers: bearer(key.token),
      body: { name: "made by a key", scopes: ["actions:read"] },
    });
    expect(child.status).toBe(201);
    expect(child.json.key.created_by).toMatchObject({ type: "api_key", id: key.id, on_behalf_of: { id: userId } });
    const bystander = await createKey(t);

    const members = await call(listMembers, asAdmin());
    expect(members.json.members.find((m: { user_id: string }) => m.user_id === userId).api_keys).toBe(2);

    const res = await call(removeMemberRoute, { method: "DELETE", ...asAdmin(), params: { userId } });
    expect(res.status).toBe(204);

    for (const token of [key.token, child.json.token]) {
      const refused = await call(whoami, { headers: bearer(token) });
      expect(refused.status).toBe(401);
      expect(refused.json.detail).toBe("This API key has been revoked");
    }
    expect((await call(whoami, { headers: bearer(bystander.token) })).status).toBe(200);

    const { rows } = await owner().query(
      `SELECT seq::int, action, target_id, data FROM audit_events
        WHERE org_id = $1 AND ((action = 'api_key.revoked' AND target_id = ANY($2::text[])) OR (action = 'member.removed' AND target_id = $3))
        ORDER BY seq`,
      [t.org.id, [key.id, child.json.key.id], userId],
    );
    // One transaction: the removal, then each revocation, with nothing in between.
    expect(rows.map((r) => r.action)).toEqual(["member.removed", "api_key.revoked", "api_key.revoked"]);
    expect(rows.map((r) => r.seq)).toEqual([rows[0].seq, rows[0].seq + 1, rows[0].seq + 2]);
    expect(
      rows
        .slice(1)
        .map((r) => r.target_id)
        .sort(),
    ).toEqual([key.id, child.json.key.id].sort());
    expect(rows[1].data.reason).toContain(email);
    expect(
      (await call(listMembers, asAdmin())).json.members.some((m: { user_id: string }) => m.user_id === userId),
    ).toBe(false);
  });

  it("removing a member leaves another organization's keys working", async () => {
    const theirs = await createKey(other);
    const { userId } = await adminWithKey(["actions:read"]);
    await call(removeMemberRoute, { method: "DELETE", ...asAdmin(), params: { userId } });
    expect((await call(whoami, { headers: bearer(theirs.token) })).status).toBe(200);
  });
});

describe("a key with no member behind it is refused", () => {
  it("membership gone without the removal flow (e.g. a manual fix in the database): 401 and the list says suspended", async () => {
    const { userId, key } = await adminWithKey(["actions:read"]);
    await owner().query(`DELETE FROM memberships WHERE org_id = $1 AND user_id = $2`, [t.org.id, userId]);
    expect((await verifyApiKey(key.token, { ip: null, permission: null })).status).toBe("creator_not_member");
    const res = await call(whoami, { headers: bearer(key.token) });
    expect(res.status).toBe(401);
    expect(res.json.detail).toMatch(/creator is no longer a member/);
    const listed = await call(listKeys, asAdmin());
    expect(listed.json.keys.find((k: { id: string }) => k.id === key.id).status).toBe("suspended");
  });

  it("a key cannot be created for nobody (the system is not a person)", async () => {
    await expect(
      createApiKey(systemContext(t.org, "test"), { name: "orphan", scopes: ["actions:read"] }, null),
    ).rejects.toThrow(/created by a person/);
    const { rows } = await owner().query(
      `SELECT count(*)::int AS n FROM api_keys WHERE org_id = $1 AND name = 'orphan'`,
      [t.org.id],
    );
    expect(rows[0].n).toBe(0);
  });
});
