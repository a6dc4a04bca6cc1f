import { withTenant } from "../db/tenant";
import { tenantOf, type OrgContext } from "../rbac/context";
import type { Role } from "../rbac/permissions";
import { memberFactors, type MemberFactorsView } from "./member-mfa";

export type MemberView = {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  status: "active" | "invited";
  invitation_expires_at: string | null;
  joined_at: string;
  /** Usable API keys acting for this person: revoked if they are removed, narrowed if their role shrinks. */
  api_keys: number;
  /** The person's second factors (types and counts, never secrets); null until they accept. */
  factors: MemberFactorsView | null;
};

export async function listMembers(ctx: OrgContext): Promise<MemberView[]> {
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.membership.findMany({
      where: { orgId: ctx.org.id },
      include: { user: { select: { email: true, name: true } } },
      orderBy: [{ createdAt: "asc" }],
    });
    const pending = await tx.invitation.findMany({
      where: { orgId: ctx.org.id, acceptedAt: null, revokedAt: null },
      select: { userId: true, expiresAt: true },
      orderBy: { createdAt: "desc" },
    });
    const now = new Date();
    const keyCounts = await tx.apiKey.groupBy({
      by: ["createdByUserId"],
      where: { orgId: ctx.org.id, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
      _count: { _all: true },
    });
    const factors = await memberFactors(tx, ctx.org.id);
    const keys = new Map(keyCounts.map((k) => [k.createdByUserId, k._count._all]));
    const expiry = new Map<string, Date>();
    for (const p of pending) if (!expiry.has(p.userId)) expiry.set(p.userId, p.expiresAt);
    return rows.map((m) => ({
      user_id: m.userId,
      email: m.user.email,
      name: m.user.name,
      role: m.role,
      status: m.acceptedAt === null ? "invited" : "active",
      invitation_expires_at: m.acceptedAt === null ? (expiry.get(m.userId)?.toISOString() ?? null) : null,
      joined_at: m.createdAt.toISOString(),
      api_keys: keys.get(m.userId) ?? 0,
      factors: m.acceptedAt === null ? null : (factors.get(m.userId) ?? null),
    }));
  });
}
