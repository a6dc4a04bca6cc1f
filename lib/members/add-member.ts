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
  member: { user_id: string; email: string; role: Role; status: "invited" };
  /** The one-time link for the person (also e-mailed when SMTP is configured). */
  invitation: IssuedInvitation;
};

/**
 * Invites a person to the organization by email. The membership exists at
 * once but grants nothing until the person accepts it (memberships.accepted_at):
 * a new address gets an account without a password and sets one when
 * accepting; an existing account accepts while signed in. The answer, the
 * audit event and the e-mail are the same either way, so adding an address
 * does not reveal whether it has an account.
 */
export async function addMember(ctx: OrgContext, input: unknown): Promise<AddMemberResult> {
  assertCan(ctx, "members:write");
  const { email, role } = parseOr422(addMemberSchema, input);
  const existing = await lookupUserByEmail(email);

  let result: AddMemberResult;
  try {
    result = await withTenant(tenantOf(ctx), async (tx) => {
      let userId = existing?.id;
      if (!userId) {
        userId = randomUUID();
        // No RETURNING: the new identity is not visible to this tenant until
        // its membership exists.
        await tx.$executeRaw`INSERT INTO users (id, email, name) VALUES (${userId}::uuid, ${email}, '')`;
      }
      await tx.membership.create({ data: { orgId: ctx.org.id, userId, role, acceptedAt: null } });
      const invitation = await issueInvitation(tx, ctx, userId);
      await appendAuditEvent(tx, {
        orgId: ctx.org.id,
        actor: actorOf(ctx),
        action: "member.added",
        target: { type: "user", id: userId },
        ip: ctx.ip,
        data: { email, role, invited: true },
      });
      return {
        member: { user_id: userId, email, role, status: "invited" },
        invitation,
      } satisfies AddMemberResult;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("conflict", `${email} is already a member of this organization`);
    throw e;
  }
  // After commit: an e-mail cannot be unsent, so it goes only for a membership that exists.
  result.invitation.email_status = await emailInvitation(ctx, email, result.invitation);
  return result;
}
