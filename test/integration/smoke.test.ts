import { afterAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db/client";
import { GET as listMembers } from "@/app/api/v1/members/route";
import { createTestOrg } from "../helpers/fixtures";
import { call, sessionCookie } from "../helpers/http";

afterAll(closeDb);

describe("smoke", () => {
  it("an admin lists their members", async () => {
    const t = await createTestOrg();
    const { cookie } = await sessionCookie(t.users.admin.id);
    const res = await call(listMembers, { cookie, org: t.org.slug });
    expect(res.status).toBe(200);
    expect(res.json.members).toHaveLength(4);
  });
});
