import { randomBytes } from "node:crypto";
import { provisionMember } from "@/lib/members/provision-member";
import { createOrganization } from "@/lib/orgs/create-organization";
import type { OrgRef } from "@/lib/rbac/context";
import { ROLES, type Role } from "@/lib/rbac/permissions";

export const TEST_PASSWORD = "correct-horse-battery-staple";

export type TestUser = { id: string; email: string; password: string; role: Role };
export type TestOrg = { org: OrgRef; users: Record<Role, TestUser> };

export function uniqueSlug(prefix = "t"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

/** A fresh organization with one member per role; nothing is shared between tests. */
export async function createTestOrg(prefix = "org"): Promise<TestOrg> {
  const slug = uniqueSlug(prefix);
  const org = await createOrganization({ slug, name: `Test ${slug}` });
  const users = {} as Record<Role, TestUser>;
  for (const role of ROLES) {
    const email = `${role}@${slug}.test`;
    const { userId } = await provisionMember({
      orgId: org.id,
      email,
      name: `${role} ${slug}`,
      role,
      password: TEST_PASSWORD,
    });
    users[role] = { id: userId, email, password: TEST_PASSWORD, role };
  }
  return { org, users };
}
