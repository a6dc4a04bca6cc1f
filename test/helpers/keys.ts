import { randomUUID } from "node:crypto";
import { createApiKey } from "@/lib/keys/create-api-key";
import { userContext, type OrgContext } from "@/lib/rbac/context";
import type { Role } from "@/lib/rbac/permissions";
import type { TestOrg } from "./fixtures";

/** The OrgContext a signed-in member of the test organization would get (one of its role users, or another member). */
export function memberContext(
  t: TestOrg,
  role: Role = "admin",
  u: { id: string; email: string } = t.users[role],
): OrgContext {
  return userContext({
    requestId: randomUUID(),
    ip: "127.0.0.1",
    userAgent: "vitest",
    principal: {
      kind: "user",
      user: {
        sessionId: randomUUID(),
        userId: u.id,
        email: u.email,
        name: u.email,
        authMethods: ["pwd"],
        createdAt: new Date(),
        mfaPending: false,
        factors: [],
      },
    },
    org: t.org,
    role,
  });
}

export async function createKey(
  t: TestOrg,
  body: Record<string, unknown> = {},
): Promise<{ id: string; token: string }> {
  const res = await createApiKey(
    memberContext(t),
    {
      name: `key-${randomUUID().slice(0, 8)}`,
      scopes: ["actions:submit", "actions:read"],
      ...body,
    },
    null,
  );
  return { id: res.key.id, token: res.token };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
