import { appendAuditEvent } from "../audit/append-event";
import { withTenant } from "../db/tenant";
import { notFound } from "../errors";
import { actorOf, assertCan, tenantOf, type OrgContext } from "../rbac/context";

export async function unlockMember(ctx: OrgContext, userId: string): Promise<void> {
  assertCan(ctx, "members:write");
  await withTenant(tenantOf(ctx), async (tx) => {
    const n = await tx.$executeRaw`
      DELETE FROM member_locks WHERE org_id = ${ctx.org.id}::uuid AND user_id = ${userId}::uuid AND locked_until > now()`;
    if (n === 0) throw notFound("Lock");
    await appendAuditEvent(tx, {
      orgId: ctx.org.id,
      actor: actorOf(ctx),
      action: "member.unlocked",
      target: { type: "user", id: userId },
      ip: ctx.ip,
      data: {},
    });
  });
}
