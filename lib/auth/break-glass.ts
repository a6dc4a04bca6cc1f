import { appendAuditEvent } from "../audit/append-event";
import type { MembershipRow } from "../db/lookup";
import { enterTenant, type Tx } from "../db/tenant";
import { log } from "../log";
import { membershipsOf } from "./principal";
import type { RequestMeta } from "./sessions";

/**
 * An admin completed sign-in with a recovery code. In every SSO-only
 * organization they administer, that is break-glass: recorded in the
 * organization's audit trail and announced to every admin there (a critical
 * notification), in the transaction that completes the sign-in.
 */
export async function recordBreakGlass(
  tx: Tx,
  memberships: MembershipRow[],
  user: { userId: string; email: string; sessionId: string },
  meta: RequestMeta,
): Promise<number> {
  const orgs = memberships.filter((m) => m.sso_enforced && m.role === "admin");
  for (const m of orgs) {
    await enterTenant(tx, m.org_id);
    const admins = await tx.membership.findMany({
      where: { orgId: m.org_id, role: "admin" },
      select: { userId: true },
    });
    for (const a of admins) {
      await tx.$executeRaw`
        INSERT INTO notifications (org_id, user_id, severity, title, body)
        VALUES (${m.org_id}::uuid, ${a.userId}::uuid, 'critical', 'Break-glass sign-in',
                ${`${user.email} signed in with a recovery code, bypassing SSO-only sign-in for ${m.name}. If this was not expected, end their sessions and replace their recovery codes.`})`;
    }
    await appendAuditEvent(tx, {
      orgId: m.org_id,
      actor: { type: "user", id: user.userId },
      action: "sso.break_glass_used",
      target: { type: "session", id: user.sessionId },
      ip: meta.ip,
      data: { email: user.email, notified_admins: admins.length, user_agent: meta.userAgent?.slice(0, 200) ?? null },
    });
    log().warn({ orgId: m.org_id, userId: user.userId }, "break-glass sign-in to an SSO-only organization");
  }
  return orgs.length;
}

/**
 * Password or passkey-first sign-in by someone all of whose organizations are
 * SSO-only, and who is admin in none of them (admins may break glass with a
 * recovery code), is refused outright: the session could do nothing.
 */
export async function ssoOnlyRefusal(userId: string): Promise<string | null> {
  const memberships = await membershipsOf(userId);
  if (memberships.length === 0) return null;
  if (memberships.every((m) => m.ssoEnforced && m.role !== "admin")) {
    const names = memberships.map((m) => m.org.name).join(", ");
    return `${names} requires single sign-on: use “Continue with SSO”`;
  }
  return null;
}
