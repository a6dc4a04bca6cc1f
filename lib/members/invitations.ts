import { appendAuditEvent } from "../audit/append-event";
import { hashPassword, passwordProblems } from "../auth/password";
import { lookupInvitation, type InvitationRow } from "../db/lookup";
import { withTenant, type Tx } from "../db/tenant";
import { AppError, notFound, conflict } from "../errors";
import { parseOr422 } from "../validation";
import { actorOf, assertCan, tenantOf, userIdOf, type OrgContext } from "../rbac/context";
import { randomToken, sha256Hex } from "../security/hash";
import { env } from "../env";
import { log } from "../log";
import { mailConfigured, sendMail } from "../notifications/mailer";
import { invitationMail } from "../notifications/messages";
import { acceptInvitationSchema, respondInvitationSchema } from "./schemas";

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type InvitationEmailStatus = "sent" | "failed" | "not_configured";

export type IssuedInvitation = {
  path: string;
  expires_at: string;
  /** Whether the link also went to the invitee by e-mail (after commit; SMTP_URL and NEXTAUTH_URL set). */
  email_status?: InvitationEmailStatus;
};

/**
 * E-mails a committed invitation to the invitee. The link is built from the
 * configured public URL (NEXTAUTH_URL), never from the request's Host header
 * (which would let a forged Host send people to another site). A failure is
 * reported, not thrown: the admin still has the link to pass on.
 */
export async function emailInvitation(
  ctx: OrgContext,
  to: string,
  issued: IssuedInvitation,
): Promise<InvitationEmailStatus> {
  const base = env().NEXTAUTH_URL;
  if (!mailConfigured() || !base) return "not_configured";
  const who = ctx.principal.kind === "user" ? ctx.principal.user : null;
  try {
    await sendMail(
      invitationMail({
        to,
        orgName: ctx.org.name,
        invitedBy: who ? (who.name ? `${who.name} (${who.email})` : who.email) : null,
        url: new URL(issued.path, base).toString(),
        expiresAt: new Date(issued.expires_at),
      }),
    );
    return "sent";
  } catch (err) {
    log().warn({ err, orgId: ctx.org.id, requestId: ctx.requestId }, "could not e-mail an invitation");
    return "failed";
  }
}

/** Creates a fresh link for a pending member, revoking earlier ones. Only the token's hash is stored. */
export async function issueInvitation(tx: Tx, ctx: OrgContext, userId: string): Promise<IssuedInvitation> {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + INVITATION_TTL_MS);
  await tx.invitation.updateMany({
    where: { orgId: ctx.org.id, userId, acceptedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  await tx.invitation.create({
    data: {
      orgId: ctx.org.id,
      userId,
      tokenHash: sha256Hex(token),
      createdBy: userIdOf(ctx),
      expiresAt,
    },
  });
  return { path: `/invite/${token}`, expires_at: expiresAt.toISOString() };
}

export async function reissueInvitation(ctx: OrgContext, userId: string): Promise<IssuedInvitation> {
  assertCan(ctx, "members:write");
  const { issued, email } = await withTenant(tenantOf(ctx), async (tx) => {
    const member = await tx.membership.findUnique({
      where: { orgId_userId: { orgId: ctx.org.id, userId } },
      include: { user: { select: { email: true } } },
    });
    if (!member) throw notFound("Member");
    if (member.acceptedAt !== null) throw conflict("This member has already accepted the invitation");
    const issued = await issueInvitation(tx, ctx, userId);
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "member.invitation_issued",
      target: { type: "user", id: userId },
      ip: ctx.ip,
      data: { email: member.user.email, expires_at: issued.expires_at },
    });
    return { issued, email: member.user.email };
  });
  return { ...issued, email_status: await emailInvitation(ctx, email, issued) };
}

async function findUsableInvitation(token: string): Promise<InvitationRow | null> {
  if (token.length < 20 || token.length > 200) return null;
  const row = await lookupInvitation(sha256Hex(token));
  if (!row || row.accepted_at || row.revoked_at || row.expires_at.getTime() <= Date.now()) {
    return null;
  }
  return row;
}

const UNUSABLE = "This invitation link is invalid, used or expired. Ask an admin for a new one.";

export type InvitationView = {
  org_name: string;
  org_slug: string;
  email: string;
  expires_at: string;
  /** true: the person sets a password to accept; false: they accept while signed in to their account. */
  needs_password: boolean;
};

export async function getInvitation(token: string): Promise<InvitationView | null> {
  const row = await findUsableInvitation(token);
  return row
    ? {
        org_name: row.org_name,
        org_slug: row.org_slug,
        email: row.email,
        expires_at: row.expires_at.toISOString(),
        needs_password: !row.has_password,
      }
    : null;
}

/**
 * An existing account answers its invitation while signed in as the invited
 * person: accept makes the membership effective, decline removes it. Another
 * signed-in person gets the same 404 as a bad link.
 */
export async function respondToInvitation(
  user: { userId: string },
  input: unknown,
  meta: { ip: string | null },
): Promise<{ org_slug: string; accepted: boolean }> {
  const { token, accept } = parseOr422(respondInvitationSchema, input);
  const row = await findUsableInvitation(token);
  if (!row || row.user_id !== user.userId || !row.has_password) throw new AppError("not_found", UNUSABLE);
  await withTenant({ orgId: row.org_id, userId: row.user_id }, async (tx) => {
    const now = new Date();
    const claimed = await tx.invitation.updateMany({
      where: { id: row.id, acceptedAt: null, revokedAt: null, expiresAt: { gt: now } },
      data: accept ? { acceptedAt: now } : { revokedAt: now },
    });
    if (claimed.count !== 1) throw new AppError("not_found", UNUSABLE);
    if (accept) {
      await tx.membership.updateMany({
        where: { orgId: row.org_id, userId: row.user_id, acceptedAt: null },
        data: { acceptedAt: now, updatedAt: now },
      });
    } else {
      await tx.membership.deleteMany({ where: { orgId: row.org_id, userId: row.user_id, acceptedAt: null } });
    }
    await appendAuditEvent(tx, {
      orgId: row.org_id,
      actor: { type: "user", id: row.user_id },
      action: accept ? "member.invitation_accepted" : "member.invitation_declined",
      target: { type: "user", id: row.user_id },
      ip: meta.ip,
      data: { email: row.email },
    });
  });
  return { org_slug: row.org_slug, accepted: accept };
}

/** Sets the invitee's name and password; the link works once. */
export async function acceptInvitation(
  input: unknown,
  meta: { ip: string | null },
): Promise<{ email: string; org_slug: string }> {
  const { token, name, password } = parseOr422(acceptInvitationSchema, input);
  const problem = passwordProblems(password);
  if (problem)
    throw new AppError("validation_failed", "The password is too weak", {
      errors: [{ path: "password", message: problem }],
    });
  const row = await findUsableInvitation(token);
  // An account that has a password accepts while signed in (respondToInvitation), never by setting a new one.
  if (!row || row.has_password) throw new AppError("not_found", UNUSABLE);
  const passwordHash = await hashPassword(password);

  await withTenant({ orgId: row.org_id, userId: row.user_id }, async (tx) => {
    const claimed = await tx.invitation.updateMany({
      where: { id: row.id, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
      data: { acceptedAt: new Date() },
    });
    const set = await tx.user.updateMany({
      where: { id: row.user_id, passwordHash: null },
      data: { passwordHash, name, updatedAt: new Date() },
    });
    if (claimed.count !== 1 || set.count !== 1) throw new AppError("not_found", UNUSABLE);
    await tx.membership.updateMany({
      where: { orgId: row.org_id, userId: row.user_id, acceptedAt: null },
      data: { acceptedAt: new Date(), updatedAt: new Date() },
    });
    await appendAuditEvent(tx, {
      orgId: row.org_id,
      actor: { type: "user", id: row.user_id },
      action: "member.invitation_accepted",
      target: { type: "user", id: row.user_id },
      ip: meta.ip,
      data: { email: row.email },
    });
  });
  return { email: row.email, org_slug: row.org_slug };
}
