import { randomUUID } from "node:crypto";
import { appendAuditEvent } from "../audit/append-event";
import { hashPassword } from "../auth/password";
import { lookupUserByEmail } from "../db/lookup";
import { withTenant, withUser } from "../db/tenant";
import type { Role } from "../rbac/permissions";

/**
 * System-side provisioning (seed data, test fixtures, future SCIM): makes sure
 * an account with this email exists with this password and holds this role in
 * the organization. Every change is audited with the system as actor.
 */
export async function provisionMember(args: {
  orgId: string;
  email: string;
  name: string;
  role: Role;
  password: string;
}): Promise<{ userId: string }> {
  const email = args.email.trim().toLowerCase();
  const passwordHash = await hashPassword(args.password);
  const existing = await lookupUserByEmail(email);
  const userId = existing?.id ?? randomUUID();

  if (existing) {
    await withUser(userId, (tx) =>
      tx.user.update({ where: { id: userId }, data: { passwordHash, name: args.name, updatedAt: new Date() } }),
    );
  }

  await withTenant({ orgId: args.orgId }, async (tx) => {
    if (!existing) {
      await tx.$executeRaw`INSERT INTO users (id, email, name, password_hash)
                           VALUES (${userId}::uuid, ${email}, ${args.name}, ${passwordHash})`;
    }
    const membership = await tx.membership.findUnique({ where: { orgId_userId: { orgId: args.orgId, userId } } });
    if (!membership) {
      await tx.membership.create({ data: { orgId: args.orgId, userId, role: args.role } });
      await appendAuditEvent(tx, {
        orgId: args.orgId,
        actor: { type: "system", id: null },
        action: "member.added",
        target: { type: "user", id: userId },
        data: { email, role: args.role, invited: false },
      });
    } else if (membership.role !== args.role) {
      await tx.membership.update({ where: { id: membership.id }, data: { role: args.role, updatedAt: new Date() } });
      await appendAuditEvent(tx, {
        orgId: args.orgId,
        actor: { type: "system", id: null },
        action: "member.role_changed",
        target: { type: "user", id: userId },
        data: { email, from: membership.role, to: args.role },
      });
    }
  });
  return { userId };
}
