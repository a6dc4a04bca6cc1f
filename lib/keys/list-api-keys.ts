import { withTenant } from "../db/tenant";
import { assertCan, tenantOf, type OrgContext } from "../rbac/context";
import { keyViewInclude, toKeyView, type ApiKeyView } from "./view";

export async function listApiKeys(ctx: OrgContext): Promise<ApiKeyView[]> {
  assertCan(ctx, "keys:read");
  return withTenant(tenantOf(ctx), async (tx) => {
    const rows = await tx.apiKey.findMany({
      where: { orgId: ctx.org.id },
      orderBy: { createdAt: "desc" },
      include: keyViewInclude(ctx.org.id),
    });
    const now = new Date();
    return rows.map((r) => toKeyView(r, now));
  });
}
