import { lookupSession, lookupUserMemberships, revokeSessionByTokenHash } from "../db/lookup";
import { enterTenant, withUser, type Tx } from "../db/tenant";
import { appendAuditEvent } from "../audit/append-event";
import { evaluatePendingInline } from "../alerts/evaluate-alerts";
import { randomToken, sha256Hex } from "../security/hash";
import { log } from "../log";
import type { SessionUser } from "../rbac/context";
import type { AuditEventName } from "../audit/event-names";

/** Server-side sessions. The browser holds a random token; the database holds its SHA-256. */

/** How a session was established: password, TOTP, passkey, recovery code, SSO. */
/**
 * How a session was established. An SSO session also names the organization
 * whose IdP vouched for it (`sso_org:<id>`, SSO-only enforcement), and
 * `idp_mfa:<id>` when that IdP reported a fresh multi-factor authentication.
 */
export type AuthMethod = "pwd" | "otp" | "webauthn" | "recovery" | "sso" | `sso_org:${string}` | `idp_mfa:${string}`;

/** The methods that are a second factor (a session with one of them has passed MFA). */
export const SECOND_FACTOR_METHODS: readonly string[] = ["otp", "webauthn", "recovery"];

/** last_seen_at is written at most this often per session. */
const TOUCH_AFTER_SECONDS = 60;

export type RequestMeta = { ip: string | null; userAgent: string | null };

/**
 * Creates the session row and records the sign-in in every organization the
 * user belongs to, atomically. A session still waiting for its second factor
 * (`mfaPending`) records nothing yet: the sign-in is audited when it completes
 * (lib/auth/second-factor.ts), and until then the session can do nothing else.
 */
export async function createSession(
  userId: string,
  methods: AuthMethod[],
  meta: RequestMeta,
  opts: { mfaPending?: boolean } = {},
): Promise<{ token: string; sessionId: string }> {
  const token = randomToken(32);
  const memberships = await lookupUserMemberships(userId);
  const session = await withUser(userId, async (tx) => {
    const s = await tx.session.create({
      data: {
        userId,
        tokenHash: sha256Hex(token),
        authMethods: methods,
        ip: meta.ip,
        userAgent: meta.userAgent?.slice(0, 512) ?? null,
        stage: opts.mfaPending ? "mfa_pending" : "complete",
      },
      select: { id: true },
    });
    if (opts.mfaPending) return s;
    await auditEachOrg(
      tx,
      memberships.map((m) => m.org_id),
      {
        userId,
        action: "auth.sign_in",
        sessionId: s.id,
        ip: meta.ip,
        data: { methods, user_agent: meta.userAgent?.slice(0, 200) ?? null },
      },
    );
    return s;
  });
  return { token, sessionId: session.id };
}

/**
 * The signed-in user behind a session token. A session still waiting for its
 * second factor resolves only for the few callers that ask for it
 * (`allowMfaPending`: finishing sign-in, signing out); to everything else it is
 * no session at all, so nothing can forget to check.
 */
export async function resolveSessionToken(
  token: string,
  opts: { allowMfaPending?: boolean } = {},
): Promise<SessionUser | null> {
  if (!token || token.length > 200) return null;
  const row = await lookupSession(sha256Hex(token), TOUCH_AFTER_SECONDS);
  if (!row || row.status !== "active") return null;
  const mfaPending = row.stage !== "complete";
  if (mfaPending && !opts.allowMfaPending) return null;
  return {
    sessionId: row.session_id,
    userId: row.user_id,
    email: row.email,
    name: row.name,
    authMethods: row.auth_methods,
    createdAt: row.created_at,
    mfaPending,
    factors: row.factors ?? [],
  };
}

/** Revokes a session (sign-out) and records it in the user's organizations, atomically. */
export async function endSession(session: { sessionId: string; userId: string }, meta: RequestMeta): Promise<boolean> {
  const memberships = await lookupUserMemberships(session.userId);
  const ended = await withUser(session.userId, async (tx) => {
    const r = await tx.session.updateMany({
      where: { id: session.sessionId, userId: session.userId, revokedAt: null },
      data: { revokedAt: new Date(), revokeReason: "sign_out" },
    });
    if (r.count === 0) return false;
    await auditEachOrg(
      tx,
      memberships.map((m) => m.org_id),
      {
        userId: session.userId,
        action: "auth.sign_out",
        sessionId: session.sessionId,
        ip: meta.ip,
        data: {},
      },
    );
    return true;
  });
  if (ended) log().info({ sessionId: session.sessionId, userId: session.userId }, "session ended");
  return ended;
}

/** Sign-out by raw token (next-auth's own sign-out endpoint). */
export async function endSessionByToken(token: string, meta: RequestMeta): Promise<boolean> {
  const row = await lookupSession(sha256Hex(token), TOUCH_AFTER_SECONDS);
  if (!row) return false;
  if (row.status !== "active") {
    await revokeSessionByTokenHash(sha256Hex(token), "sign_out");
    return false;
  }
  return endSession({ sessionId: row.session_id, userId: row.user_id }, meta);
}

export async function auditEachOrg(
  tx: Tx,
  orgIds: string[],
  e: {
    userId: string;
    action: AuditEventName;
    sessionId: string | null;
    ip: string | null;
    data: Record<string, unknown>;
  },
): Promise<void> {
  for (const orgId of orgIds) {
    await enterTenant(tx, orgId);
    // Sent with COMMIT, each under its own organization (lib/db/commit-batch.ts).
    await appendAuditEvent(tx, {
      orgId,
      actor: { type: "user" as const, id: e.userId },
      action: e.action,
      target: e.sessionId ? { type: "session", id: e.sessionId } : null,
      ip: e.ip,
      data: e.data,
    });
  }
}

/** Records a failed sign-in for a known user in each of their organizations. */
export async function auditSignInFailure(userId: string, reason: string, meta: RequestMeta): Promise<void> {
  const memberships = await lookupUserMemberships(userId);
  if (memberships.length === 0) return;
  const orgIds = memberships.map((m) => m.org_id);
  await withUser(userId, (tx) =>
    auditEachOrg(tx, orgIds, {
      userId,
      action: "auth.sign_in_failed",
      sessionId: null,
      ip: meta.ip,
      data: { reason },
    }),
  );
  // What must hold at once (the lock after failed sign-ins) is decided now,
  // before the answer, in a transaction of its own: the events above went out
  // with their COMMIT, so the audit head was never held across this evaluation.
  for (const orgId of orgIds) await evaluatePendingInline(orgId);
}
