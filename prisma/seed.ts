/**
 * Demo data: organizations acme and globex, one acme user per role and a
 * globex admin, all with the same demo password. Idempotent: re-running resets
 * the demo users' passwords and roles and creates nothing twice. Everything goes
 * through the domain functions and the tenancy wall, as the app role.
 */
import { membershipsOf } from "../lib/auth/principal";
import { lookupUserByEmail } from "../lib/db/lookup";
import { provisionMember } from "../lib/members/provision-member";
import { createOrganization } from "../lib/orgs/create-organization";
import type { Role } from "../lib/rbac/permissions";

export const DEMO_ORGS = [
  {
    slug: "acme",
    name: "Acme Corp",
    users: [
      { email: "admin@acme.test", name: "Ada Admin", role: "admin" },
      { email: "approver@acme.test", name: "Alex Approver", role: "approver" },
      { email: "auditor@acme.test", name: "Audrey Auditor", role: "auditor" },
      { email: "viewer@acme.test", name: "Victor Viewer", role: "viewer" },
    ],
  },
  {
    slug: "globex",
    name: "Globex Corporation",
    users: [{ email: "admin@globex.test", name: "Gina Globex", role: "admin" }],
  },
] as const satisfies readonly { slug: string; name: string; users: readonly { email: string; name: string; role: Role }[] }[];

async function findOrgId(slug: string, anchorEmail: string): Promise<string | null> {
  const anchor = await lookupUserByEmail(anchorEmail);
  if (!anchor) return null;
  const m = (await membershipsOf(anchor.id)).find((x) => x.org.slug === slug);
  return m?.org.id ?? null;
}

export async function seedDemo(password: string): Promise<void> {
  for (const org of DEMO_ORGS) {
    const anchor = org.users[0].email;
    let orgId = await findOrgId(org.slug, anchor);
    if (!orgId) {
      orgId = (await createOrganization({ slug: org.slug, name: org.name })).id;
      console.log(`  created organization ${org.slug}`);
    }
    for (const u of org.users) {
      await provisionMember({ orgId, email: u.email, name: u.name, role: u.role, password });
    }
  }
}
