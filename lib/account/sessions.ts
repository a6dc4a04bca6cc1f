import { membershipsOf } from "../auth/principal";
import { auditEachOrg, type RequestMeta } from "../auth/sessions";
import { withUser } from "../db/tenant";
import { AppError } from "../errors";
import type { SessionUser } from "../rbac/context";

/** A person's active sessions, with how each was established, and revocation. */
export type SessionView = {
  id: string;
  current: boolean;
  user_agent: string | null;
  ip: string | null;
  created_at: Date;
  last_seen_at: Date;
  auth_methods: string[];
};

export async function listSessions(user: SessionUser): Promise<SessionView[]> {
  const rows = await withUser(user.userId, (tx) =>
    tx.session.findMany({
      where: { userId: user.userId, revokedAt: null, stage: "complete" },
      orderBy: { lastSeenAt: "desc" },
      take: 200,
      select: { id: true, userAgent: true, ip: true, createdAt: true, lastSeenAt: true, authMethods: true },
    }),
  );
  return rows.map((r) => ({
    id: r.id,
    current: r.id === user.sessionId,
    user_agent: r.userAgent,
    ip: r.ip,
    created_at: r.createdAt,
    last_seen_at: r.lastSeenAt,
    auth_methods: r.authMethods,
  }));
}

export async function revokeSession(user: SessionUser, id: string, meta: RequestMeta): Promise<void> {
  if (id === user.sessionId) throw new AppError("conflict", "This is the session you are using; sign out instead");
  const ids = (await membershipsOf(user.userId)).map((m) => m.org.id);
  await withUser(user.userId, async (tx) => {
    const n = await tx.session.updateMany({
      where: { id, userId: user.userId, revokedAt: null },
      data: { revokedAt: new Date(), revokeReason: "revoked_by_user" },
    });
    if (n.count !== 1) throw new AppError("not_found", "Session not found");
    await auditEachOrg(tx, ids, {
      userId: user.userId,
      action: "auth.session_revoked",
      sessionId: id,
      ip: meta.ip,
      data: { by_session: user.sessionId, scope: "one" },
    });
  });
}

export async function revokeOtherSessions(user: SessionUser, meta: RequestMeta): Promise<{ revoked: number }> {
  const ids = (await membershipsOf(user.userId)).map((m) => m.org.id);
  return withUser(user.userId, async (tx) => {
    const n = await tx.session.updateMany({
      where: { userId: user.userId, revokedAt: null, id: { not: user.sessionId } },
      data: { revokedAt: new Date(), revokeReason: "revoked_by_user" },
    });
    if (n.count > 0) {
      await auditEachOrg(tx, ids, {
        userId: user.userId,
        action: "auth.session_revoked",
        sessionId: user.sessionId,
        ip: meta.ip,
        data: { scope: "all_others", count: n.count },
      });
    }
    return { revoked: n.count };
  });
}
