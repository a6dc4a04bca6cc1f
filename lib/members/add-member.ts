import { randomUUID } from "node:crypto";
import { appendAuditEvent } from "../audit/append-event";
import { lookupUserByEmail } from "../db/lookup";
import { isUniqueViolation } from "../db/errors";
import { withTenant } from "../db/tenant";
import { AppError } from "../errors";
import { parseOr422 } from "../validation";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";
import type { Role } from "../rbac/permissions";
import { emailInvitation, issueInvitation, type IssuedInvitation } from "./invitations";
import { addMemberSchema } from "./schemas";

export type AddMemberResult = {
  member: { user_id: string; email: string; role: Role; status: "active" | "invited" };
  /** Present when the person had no account: the one-time link to share with them. */
  invitation: IssuedInvitation | null;
};

/**
 * Adds a person to the organization by email. An existing Warden account is
 * added directly; for a new address an account without a password is created
 * with a one-time invitation link (shown once to the admin, and e-mailed to
 * the person when SMTP is configured) to set one.
 */
export async function addMember(ctx: OrgContext, input: unknown): Promise<AddMemberResult> {
  assertCan(ctx, "members:write");
  const { email, role } = parseOr422(addMemberSchema, input);
  const existing = await lookupUserByEmail(email);

  let result: AddMemberResult;
  try {
    result = await withTenant(tenantOf(ctx), async (tx) => {
      let userId = existing?.id;
      let invitation: IssuedInvitation | null = null;
      if (!userId) {
        userId = randomUUID();
        // No RETURNING: the new identity is not visible to this tenant until
        // its membership exists.
        await tx.$executeRaw`INSERT INTO users (id, email, name) VALUES (${userId}::uuid, ${email}, '')`;
      }
      await tx.membership.create({ data: { orgId: ctx.org.id, userId, role } });
      const invited = !existing || existing.password_hash === null;
      if (invited) invitation = await issueInvitation(tx, ctx, userId);
      await appendAuditEvent(tx, {
        orgId: ctx.org.id,
        actor: actorOf(ctx),
        action: "member.added",
        target: { type: "user", id: userId },
        ip: ctx.ip,
        data: { email, role, invited },
      });
      return {
        member: { user_id: userId, email, role, status: invited ? "invited" : "active" },
        invitation,
      } satisfies AddMemberResult;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("conflict", `${email} is already a member of this organization`);
    throw e;
  }
  // After commit: an e-mail cannot be unsent, so it goes only for a membership that exists.
  if (result.invitation) {
    result.invitation.email_status = await emailInvitation(ctx, email, result.invitation);
  }
  return result;
}
